package dev.etlab.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.Simd;
import dev.etlab.TestData;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Longformer's Vector API window ({@link VectorWindow}) against its twin, the chunked path, forward and backward. */
class LongformerVectorTest {
    static final int B = 2, H = 2;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    /**
     * (B, T) key padding or null: item 0 has its first position padding, item 1 its last {@code padded} positions
     * (with w = 1 some rows then see no real key but their own).
     */
    static INDArray padding(int t, int padded, DataType type) {
        if (padded == 0) return null;
        INDArray pad = Nd4j.ones(type, B, t);
        pad.putScalar(new long[] {0, 0}, 0);
        pad.get(NDArrayIndex.point(1), NDArrayIndex.interval(t - padded, t)).assign(0);
        return pad;
    }

    /** Gradients of Σ out ⊙ r with respect to every parameter and to x ("x"), on the tape. */
    static Map<String, INDArray> tapeGradients(Attention a, ParamStore params, INDArray x, INDArray r, INDArray pad) {
        TapeOps tape = TapeOps.of(params, x.dataType());
        Var xv = tape.leaf(x);
        Var out = a.apply(tape, "a.", xv, pad == null ? null : tape.constant(pad));
        tape.backward(tape.sum(tape.mul(out, tape.constant(r)), false));
        Map<String, INDArray> grads = new TreeMap<>(tape.paramGradients());
        grads.put("x", xv.grad());
        return grads;
    }

    // Head sizes 4, 8, 16 and 32 (one and two vectors with AVX2 and AVX-512: both row paths); T not a multiple of w; w = 1; w ≥ T; a window wider than a vector; padding left and right.
    @ParameterizedTest(name = "w={0} causal={1} T={2} padded={3} Dh={4}")
    @CsvSource({"3,false,13,0,4", "3,true,13,0,4", "3,false,13,4,4", "3,true,13,4,4", "1,false,9,3,4", "1,true,9,3,4",
        "16,false,11,2,4", "16,true,11,2,16", "5,false,40,7,16", "5,true,40,7,16", "64,false,150,9,16", "64,true,150,0,16",
        "2,false,1,0,4", "17,true,50,5,8", "5,true,40,7,32", "64,false,150,9,32"})
    void vectorWindowEqualsTheChunkedTwinForwardAndEveryGradient(int w, boolean causal, int t, int padded, int dh) {
        assertTrue(Simd.enabled(), "the test JVM must load jdk.incubator.vector, or this test would test nothing");
        int d = H * dh;
        AttentionDims dims = new AttentionDims(d, H, Math.max(t, w), causal);
        Longformer.Config c = Longformer.Config.of(w);
        Longformer vector = new Longformer(c, dims, true), twin = new Longformer(c, dims, false);
        ParamStore p = new ParamStore(DataType.FLOAT, 3);
        vector.declare(p, "a.");
        INDArray x = TestData.normal(5, DataType.FLOAT, B, t, d), r = TestData.normal(6, DataType.FLOAT, B, t, d);
        INDArray pad = padding(t, padded, DataType.FLOAT);
        long before = VectorWindow.FORWARD_CALLS.get();
        double diff = LongformerTest.diff(twin.forward(p, "a.", x, pad), vector.forward(p, "a.", x, pad));
        assertTrue(diff < 1e-5, "forward: the vector window differs from the chunked twin by " + diff);
        Map<String, INDArray> expected = tapeGradients(twin, p, x, r, pad), actual = tapeGradients(vector, p, x, r, pad);
        assertEquals(before + 2, VectorWindow.FORWARD_CALLS.get(), "the vector layer ran the kernel, eagerly and on the tape; the twin did not");
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            // 1e-5 relative to the gradient's size, not absolute: a parameter's gradient sums B·T rows, and with T = 150
            // some reach ~50, where one float32 ulp is 3.8e-6 (the two paths add the rows in different orders; measured: 4 ulp)
            double g = LongformerTest.diff(expected.get(name), actual.get(name));
            double size = Math.max(1, expected.get(name).amaxNumber().doubleValue());
            assertTrue(g < 1e-5 * size, name + ": the vector window's gradient differs from the chunked twin's by " + g + " (largest " + size + ")");
            // (the key bias adds the same q·b_k to every score of a row: its exact gradient is 0)
            if (!name.equals("a.bk") && t > 1) assertTrue(expected.get(name).amaxNumber().doubleValue() > 1e-4, name + ": a zero gradient proves nothing");
        }
    }

    /** The trainer runs steps inside an ND4J workspace (several, to see it reused): the vector window's gradients there equal the twin's outside. */
    @Test
    void insideAStepWorkspaceEqualsTheTwinOutside() {
        int t = 21, d = 8;
        AttentionDims dims = new AttentionDims(d, H, t, true);
        Longformer vector = new Longformer(Longformer.Config.of(3), dims, true), twin = new Longformer(Longformer.Config.of(3), dims, false);
        ParamStore p = new ParamStore(DataType.FLOAT, 3);
        vector.declare(p, "a.");
        INDArray x = TestData.normal(5, DataType.FLOAT, B, t, d), r = TestData.normal(6, DataType.FLOAT, B, t, d);
        INDArray pad = padding(t, 4, DataType.FLOAT);
        Map<String, INDArray> expected = tapeGradients(twin, p, x, r, pad);
        for (int step = 0; step < 3; step++) {
            double worst = dev.etlab.tensor.StepMemory.run("etlab-test-step", () -> {
                Map<String, INDArray> actual = tapeGradients(vector, p, x, r, pad);
                double most = 0;
                for (String name : expected.keySet()) most = Math.max(most, LongformerTest.diff(expected.get(name), actual.get(name)));
                return most;
            });
            assertTrue(worst < 1e-5, "step " + step + ": gradients in a workspace differ from the twin's by " + worst);
        }
    }

    /** In a JVM with the Vector API loaded (tests are run so), a float32 layer built the usual way takes the vector window. */
    @Test
    void theDefaultLayerTakesTheVectorWindowOnFloat32Only() {
        assertTrue(Simd.enabled(), "surefire must start the JVM with --add-modules=jdk.incubator.vector");
        AttentionDims dims = new AttentionDims(8, H, 32, false);
        assertEquals(1, runsOfTheKernel(Longformer.Config.of(4), dims, DataType.FLOAT), "float32, dilation 1, no global token");
        assertEquals(0, runsOfTheKernel(Longformer.Config.of(4), dims, DataType.DOUBLE), "float64 keeps the chunked path");
        assertEquals(0, runsOfTheKernel(Longformer.Config.of(4).withDilation(2), dims, DataType.FLOAT), "dilation > 1 keeps the chunked path");
        assertEquals(0, runsOfTheKernel(Longformer.Config.classifier(4), dims, DataType.FLOAT), "global tokens keep the chunked path");
        System.setProperty(Simd.PROPERTY, "false");
        try {
            assertEquals(0, runsOfTheKernel(Longformer.Config.of(4), dims, DataType.FLOAT), "-Detlab.simd=false: the chunked path");
        } finally {
            System.clearProperty(Simd.PROPERTY);
        }
    }

    /** How many times one eager forward of a layer built by its config ran {@link VectorWindow}. */
    static long runsOfTheKernel(Longformer.Config c, AttentionDims dims, DataType type) {
        Attention a = c.build(dims);
        ParamStore p = new ParamStore(type, 1);
        a.declare(p, "a.");
        long before = VectorWindow.FORWARD_CALLS.get();
        a.forward(p, "a.", TestData.normal(2, type, 1, 20, dims.dModel()), null);
        return VectorWindow.FORWARD_CALLS.get() - before;
    }

    /** Heads spread over the cores give the same bits as one thread (each head is computed the same way). */
    @Test
    void manyThreadsEqualOneThreadBitForBit() {
        int t = 600, dh = 16;                                                                    // B·H·T·(2w + 4) ≥ 2¹⁷: the parallel path
        NdOps nd = NdOps.of(name -> null, DataType.FLOAT);
        INDArray q = TestData.normal(1, DataType.FLOAT, B, H, t, dh), k = TestData.normal(2, DataType.FLOAT, B, H, t, dh);
        INDArray v = TestData.normal(3, DataType.FLOAT, B, H, t, dh), dOut = TestData.normal(4, DataType.FLOAT, B, H, t, dh);
        INDArray pad = padding(t, 20, DataType.FLOAT);
        INDArray[][] results = new INDArray[2][];
        for (int run = 0; run < 2; run++) {
            System.setProperty(VectorTiles.PARALLEL_PROPERTY, String.valueOf(run == 0));
            try {
                VectorWindow kernel = new VectorWindow(nd, 32, false);
                INDArray[] f = kernel.forward(q, k, v, pad, 0.25);
                INDArray[] g = kernel.backward(q, k, v, pad, 0.25, f[0], f[1], dOut);
                results[run] = new INDArray[] {f[0], f[1], g[0], g[1], g[2]};
            } finally {
                System.clearProperty(VectorTiles.PARALLEL_PROPERTY);
            }
        }
        for (int i = 0; i < 5; i++) assertTrue(ExactTiledAttentionTest.sameBits(results[1][i], results[0][i]), "result " + i + " differs between 1 and many threads");
    }

    /** The kernel makes no ND4J array but its results, and no Java array larger than an input. */
    @ParameterizedTest(name = "causal={0}")
    @CsvSource({"false", "true"})
    void holdsNothingOfTheSquareOfTheLength(boolean causal) {
        int t = 96, dh = 4;
        ShapeSpy<INDArray> spy = new ShapeSpy<>(NdOps.of(name -> null, DataType.FLOAT));
        VectorWindow kernel = new VectorWindow(spy, 8, causal);
        INDArray q = TestData.normal(1, DataType.FLOAT, B, H, t, dh), k = TestData.normal(2, DataType.FLOAT, B, H, t, dh);
        INDArray v = TestData.normal(3, DataType.FLOAT, B, H, t, dh), dOut = TestData.normal(4, DataType.FLOAT, B, H, t, dh);
        INDArray[] outLse = kernel.forward(q, k, v, padding(t, 5, DataType.FLOAT), 0.5);
        kernel.backward(q, k, v, padding(t, 5, DataType.FLOAT), 0.5, outLse[0], outLse[1], dOut);
        long linear = (long) B * H * t * dh, square = (long) B * H * t * t;
        assertEquals(linear, spy.largest, "the spy sees the results (a spy that saw nothing would pass vacuously), and nothing larger");
        assertTrue(kernel.largestJavaArray <= linear, "largest Java array " + kernel.largestJavaArray + ", inputs have " + linear);
        assertTrue(kernel.largestJavaArray * 8 <= square, "far below the " + square + " of a (T x T) score matrix");
    }
}
