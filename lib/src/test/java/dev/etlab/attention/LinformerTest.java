package dev.etlab.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.GradientCheck;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.ParamStore;
import dev.etlab.nn.TransformerModel;
import dev.etlab.tensor.Ops;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class LinformerTest {
    static final int D = 16, H = 2, N = 12;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    @Test
    void withKEqualToNAndIdentityProjectionsItIsStandardAttention() {
        for (Linformer.Sharing sharing : Linformer.Sharing.values()) {
            AttentionDims dims = new AttentionDims(D, H, N, false);
            Linformer lin = (Linformer) new Linformer.Config(N, sharing).build(dims);
            ParamStore p = new ParamStore(DataType.DOUBLE, 3);
            lin.declare(p, "a.");
            INDArray eye = Nd4j.eye(N).castTo(DataType.DOUBLE);
            for (String name : new java.util.HashSet<>(java.util.List.of(lin.keyProjection("a."), lin.valueProjection("a.")))) {
                p.assign(name, sharing == Linformer.Sharing.NONE ? Nd4j.stack(0, eye, eye) : eye);
            }
            // Unpadded only: with padding, every compressed key row is still attended (its projection of the real
            // positions), so Linformer never reduces to *masked* standard attention; that padding cannot change
            // real outputs is checked for every mechanism in AttentionContractTest.
            INDArray x = TestData.normal(4, DataType.DOUBLE, 2, N, D);
            INDArray standard = new StandardAttention.Config().build(dims).forward(p, "a.", x, null);
            double diff = TestData.maxAbsDiff(standard, lin.forward(p, "a.", x, null));
            assertTrue(diff < 1e-12, sharing + ": differs from standard attention by " + diff);
        }
    }

    @Test
    void shorterInputsUseTheLeadingColumnsOfTheProjections() {
        AttentionDims full = new AttentionDims(D, H, N, false), shorter = new AttentionDims(D, H, 7, false);
        Attention big = Linformer.Config.of(5).build(full), small = Linformer.Config.of(5).build(shorter);
        ParamStore p = new ParamStore(DataType.DOUBLE, 5), q = new ParamStore(DataType.DOUBLE, 5);
        big.declare(p, "a.");
        small.declare(q, "a.");
        for (String name : p.all().keySet()) {
            INDArray v = p.get(name);
            q.assign(name, name.endsWith("E") || name.endsWith("F") ? v.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 7)).dup() : v);
        }
        INDArray x = TestData.normal(6, DataType.DOUBLE, 2, 7, D);
        assertTrue(TestData.maxAbsDiff(big.forward(p, "a.", x, null), small.forward(q, "a.", x, null)) < 1e-12);
    }

    @Test
    void sharingOptionsDeclareTheMatricesThePaperDescribes() {
        for (Linformer.Sharing s : Linformer.Sharing.values()) {
            ModelConfig c = ModelConfig.classifier(10, 2, N).withWidth(D, H, 32).withAttention(new Linformer.Config(4, s));
            TransformerModel m = TransformerModel.create(c, 1);
            Set<String> projections = m.params().all().keySet().stream().filter(n -> n.endsWith(".E") || n.endsWith(".F")).collect(Collectors.toSet());
            Set<String> expected = switch (s) {
                case NONE, HEADWISE -> Set.of("blocks.0.attn.E", "blocks.0.attn.F", "blocks.1.attn.E", "blocks.1.attn.F");
                case KEY_VALUE -> Set.of("blocks.0.attn.E", "blocks.1.attn.E");
                case LAYERWISE -> Set.of("linformer.E");
            };
            assertEquals(expected, projections, s.toString());
            long[] shape = m.params().get(expected.iterator().next()).shape();
            assertArrayEquals(s == Linformer.Sharing.NONE ? new long[] {H, 4, N} : new long[] {4, N}, shape);
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesForEverySharingOption() {
        for (Linformer.Sharing s : Linformer.Sharing.values()) {
            Attention a = new Linformer.Config(3, s).build(new AttentionDims(8, 2, 6, false));
            ParamStore p = new ParamStore(DataType.DOUBLE, 8);
            a.declare(p, "a.");
            INDArray pad = Nd4j.ones(DataType.DOUBLE, 2, 5);
            pad.putScalar(0, 4, 0.0);
            var r = new GradientCheck().check(p, TestData.normal(9, DataType.DOUBLE, 2, 5, 8), new GradientCheck.Fn() {
                public <T> T apply(Ops<T> ops, T x) { return a.apply(ops, "a.", x, ops.constant(pad)); }
            }, 10);
            assertTrue(r.passed(), s + ": " + r);
        }
    }

    /** The layer with its inner attention on {@link VectorTiles} (simd) or on the ND4J softmax (the twin). */
    static Linformer layer(int k, Linformer.Sharing sharing, int maxLen, boolean simd) {
        return new Linformer(new Linformer.Config(k, sharing), new AttentionDims(D, H, maxLen, false), simd);
    }

    /** (B, T) key padding: batch 1's last {@code padded} tokens are padding. */
    static INDArray padding(int t, int padded) {
        INDArray pad = Nd4j.ones(DataType.FLOAT, 2, t);
        for (int j = t - padded; j < t; j++) pad.putScalar(1, j, 0.0);
        return pad;
    }

    @ParameterizedTest(name = "k={0} sharing={1} T={2} padded={3}")
    @CsvSource({"5,HEADWISE,12,false", "20,NONE,40,true", "20,HEADWISE,40,true", "300,KEY_VALUE,33,true", "128,LAYERWISE,70,false"})
    void vectorKernelEqualsTheTwinForwardAndOnTheTape(int k, Linformer.Sharing sharing, int t, boolean padded) {
        assertTrue(dev.etlab.Simd.enabled(), "the test JVM must load jdk.incubator.vector, or this test would test nothing");
        Linformer vector = layer(k, sharing, t, true), twin = layer(k, sharing, t, false);
        ParamStore p = new ParamStore(DataType.FLOAT, 21);
        vector.declare(p, "attn.");
        INDArray x = TestData.normal(22, DataType.FLOAT, 2, t, D), r = TestData.normal(23, DataType.FLOAT, 2, t, D);
        INDArray pad = padded ? padding(t, 3) : null;
        double forward = TestData.maxAbsDiff(twin.forward(p, "attn.", x, pad), vector.forward(p, "attn.", x, pad));
        assertTrue(forward < 1e-5, "forward: the vector kernel differs from its twin by " + forward);
        var expected = ExactTiledAttentionTest.tapeGradients(twin, p, x, r, pad, DataType.FLOAT);
        var actual = ExactTiledAttentionTest.tapeGradients(vector, p, x, r, pad, DataType.FLOAT);
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            double diff = TestData.maxAbsDiff(expected.get(name), actual.get(name));
            assertTrue(diff < 1e-5, name + ": the vector kernel's gradient differs from its twin's by " + diff);
        }
    }

    @Test
    void theVectorKernelIsTakenOnFloat32UnlessProbabilitiesAreRecorded() {
        assertTrue(dev.etlab.Simd.enabled(), "surefire must start the JVM with --add-modules=jdk.incubator.vector");
        Linformer byDefault = (Linformer) Linformer.Config.of(4).build(new AttentionDims(D, H, N, false));
        ParamStore p = new ParamStore(DataType.FLOAT, 1);
        byDefault.declare(p, "a.");
        assertTrue(byDefault.usesVectorKernel(dev.etlab.tensor.NdOps.of(p, DataType.FLOAT)));
        assertTrue(byDefault.usesVectorKernel(dev.etlab.tensor.TapeOps.of(p, DataType.FLOAT)));
        assertTrue(!byDefault.usesVectorKernel(dev.etlab.tensor.NdOps.of(p, DataType.DOUBLE)), "float64 takes the twin");
        var recording = dev.etlab.tensor.NdOps.recording(p, DataType.FLOAT);
        assertTrue(!byDefault.usesVectorKernel(recording), "a recorder wants the probabilities: the twin");
        byDefault.apply(recording, "a.", TestData.normal(2, DataType.FLOAT, 1, N, D), null);
        assertArrayEquals(new long[] {1, H, N, 4}, recording.recorded().get("a.probs").shape());
        assertTrue(!layer(4, Linformer.Sharing.HEADWISE, N, false).usesVectorKernel(dev.etlab.tensor.TapeOps.of(p, DataType.FLOAT)));
        System.setProperty(dev.etlab.Simd.PROPERTY, "false");
        try {
            Linformer off = (Linformer) Linformer.Config.of(4).build(new AttentionDims(D, H, N, false));
            assertTrue(!off.usesVectorKernel(dev.etlab.tensor.TapeOps.of(p, DataType.FLOAT)), "-Detlab.simd=false takes the twin");
        } finally {
            System.clearProperty(dev.etlab.Simd.PROPERTY);
        }
    }

    @Test
    void causalUseLongInputsAndBadKAreRefusedWithTheReason() {
        var causal = assertThrows(IllegalArgumentException.class, () -> Linformer.Config.of(8).build(new AttentionDims(D, H, N, true)));
        assertTrue(causal.getMessage().startsWith("causal = true: expected false: Linformer is encoder-only"), causal.getMessage());
        var lm = assertThrows(IllegalArgumentException.class, () -> ModelConfig.languageModel(10, N).withAttention(Linformer.Config.of(8)));
        assertEquals("attention = linformer: expected a mechanism with a causal form for a CAUSAL_LM model", lm.getMessage());
        Attention a = Linformer.Config.of(4).build(new AttentionDims(D, H, N, false));
        ParamStore p = new ParamStore(DataType.FLOAT, 1);
        a.declare(p, "a.");
        var tooLong = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "a.", Nd4j.zeros(DataType.FLOAT, 1, N + 1, D), null));
        assertEquals("sequence length = 13: expected at most maxLen = 12", tooLong.getMessage());
        assertEquals("k = 0: expected a positive projected length (the paper uses 128 or 256)",
            assertThrows(IllegalArgumentException.class, () -> Linformer.Config.of(0)).getMessage());
    }
}
