package dev.etlab.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.GradientCheck;
import dev.etlab.nn.Head;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.MultAddCount;
import dev.etlab.nn.ParamStore;
import dev.etlab.nn.TransformerModel;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

class LongShortRangeAttentionTest {
    static final int D = 16, H = 2, T = 10;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static LongShortRangeAttention build(int kernel, int convHeads, boolean causal) {
        return (LongShortRangeAttention) new LongShortRangeAttention.Config(kernel, convHeads).build(new AttentionDims(D, H, T, causal));
    }

    /** The convolution by its definition, element by element: y[b, t, c] = Σ_j w[group(c), j] · u[b, t + j − p, c]. */
    static INDArray convByDefinition(INDArray u, INDArray w, boolean causal) {
        long b = u.size(0), t = u.size(1), c = u.size(2);
        int hc = (int) w.size(0), k = (int) w.size(1), p = causal ? k - 1 : (k - 1) / 2;
        INDArray y = Nd4j.zeros(u.dataType(), b, t, c);
        for (int n = 0; n < b; n++) for (int i = 0; i < t; i++) for (int ch = 0; ch < c; ch++) {
            double s = 0;
            for (int j = 0; j < k; j++) {
                int src = i + j - p;
                if (src >= 0 && src < t) s += w.getDouble(ch / (c / hc), j) * u.getDouble(n, src, ch);
            }
            y.putScalar(new long[] {n, i, ch}, s);
        }
        return y;
    }

    @Test
    void lightweightConvolutionMatchesItsDefinitionCausalAndSamePadded() {
        INDArray u = TestData.normal(1, DataType.DOUBLE, 2, T, 8);
        for (boolean causal : new boolean[] {true, false}) {
            for (int k : new int[] {1, 3, 5}) {
                INDArray w = Transforms.softmax(TestData.normal(2 + k, DataType.DOUBLE, 4, k), true);
                INDArray ours = LongShortRangeAttention.lightweightConv(NdOps.of(new ParamStore(DataType.DOUBLE, 0), DataType.DOUBLE), u, w, causal);
                double diff = TestData.maxAbsDiff(convByDefinition(u, w, causal), ours);
                assertTrue(diff < 1e-12, "causal=" + causal + " K=" + k + ": differs by " + diff);
            }
        }
        // a causal kernel may be even; the output at t depends on t − K + 1 … t only
        INDArray w4 = Transforms.softmax(TestData.normal(9, DataType.DOUBLE, 2, 4), true);
        INDArray ours = LongShortRangeAttention.lightweightConv(NdOps.of(new ParamStore(DataType.DOUBLE, 0), DataType.DOUBLE), u, w4, true);
        assertTrue(TestData.maxAbsDiff(convByDefinition(u, w4, true), ours) < 1e-12);
    }

    @Test
    void theKernelIsSoftmaxNormalisedAndSharedWithinAGroup() {
        LongShortRangeAttention a = build(3, 2, true);
        ParamStore p = new ParamStore(DataType.DOUBLE, 3);
        a.declare(p, "a.");
        NdOps ops = NdOps.recording(p, DataType.DOUBLE);
        a.apply(ops, "a.", ops.constant(TestData.normal(4, DataType.DOUBLE, 1, T, D)), null);
        INDArray w = ops.recorded().get("a.local.kernel_softmax");
        assertEquals(2, w.size(0));
        assertEquals(3, w.size(1));
        assertTrue(TestData.maxAbsDiff(w.sum(1), Nd4j.ones(DataType.DOUBLE, 2)) < 1e-12, "each row sums to 1");
        assertTrue(w.minNumber().doubleValue() > 0, "all taps positive");
    }

    @Test
    void theFirstHalfIsStandardAttentionOnTheFirstHalfOfTheChannels() {
        for (boolean causal : new boolean[] {true, false}) {
            LongShortRangeAttention a = build(3, 2, causal);
            ParamStore p = new ParamStore(DataType.DOUBLE, 5);
            a.declare(p, "a.");
            INDArray x = TestData.normal(6, DataType.DOUBLE, 2, T, D);
            INDArray y = a.forward(p, "a.", x, null);
            Attention std = new StandardAttention.Config().build(new AttentionDims(D / 2, H, T, causal));
            INDArray expected = std.forward(p, "a.global.", x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, D / 2)).dup(), null);
            INDArray got = y.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, D / 2));
            assertTrue(TestData.maxAbsDiff(expected, got) < 1e-12, "causal=" + causal);
            // and the second half depends on the second half of the channels only
            INDArray changed = x.dup();
            changed.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, D / 2)).addi(1.0);
            INDArray local1 = y.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(D / 2, D));
            INDArray local2 = a.forward(p, "a.", changed, null).get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(D / 2, D));
            assertTrue(TestData.maxAbsDiff(local1, local2) < 1e-12, "the convolution branch reads its own channels only");
        }
    }

    @Test
    void theConvolutionBranchIsLocal() {
        // with the attention branch's channels fixed, position 0 depends on position t only if t is within the kernel
        for (boolean causal : new boolean[] {true, false}) {
            int k = 3;
            LongShortRangeAttention a = build(k, 2, causal);
            ParamStore p = new ParamStore(DataType.DOUBLE, 7);
            a.declare(p, "a.");
            INDArray x = TestData.normal(8, DataType.DOUBLE, 1, T, D / 2);
            NdOps ops = NdOps.of(p, DataType.DOUBLE);
            INDArray y = a.local(ops, "a.", x, null);
            int centre = 5;
            for (int t = 0; t < T; t++) {
                INDArray changed = x.dup();
                changed.get(NDArrayIndex.point(0), NDArrayIndex.point(t), NDArrayIndex.all()).addi(1.0);
                double diff = TestData.maxAbsDiff(y.get(NDArrayIndex.point(0), NDArrayIndex.point(centre)),
                    a.local(ops, "a.", changed, null).get(NDArrayIndex.point(0), NDArrayIndex.point(centre)));
                boolean inReach = causal ? t <= centre && t > centre - k : Math.abs(t - centre) <= (k - 1) / 2;
                assertEquals(inReach, diff > 1e-9, "causal=" + causal + ": position " + centre + " vs input " + t + " (diff " + diff + ")");
            }
        }
    }

    @Test
    void gradientsOfTheConvolutionBranchMatchFiniteDifferences() {
        for (boolean causal : new boolean[] {true, false}) {
            LongShortRangeAttention a = build(causal ? 4 : 3, 4, causal);
            ParamStore p = new ParamStore(DataType.DOUBLE, 9);
            a.declare(p, "a.");
            GradientCheck.Result r = new GradientCheck().check(p, TestData.normal(10, DataType.DOUBLE, 2, 6, D / 2), new GradientCheck.Fn() {
                @Override
                public <X> X apply(Ops<X> ops, X in) {
                    return a.local(ops, "a.", in, null);
                }
            }, 11);
            assertTrue(r.passed(), "causal=" + causal + ": " + r);
            assertTrue(r.checked() > 40, r.toString());
        }
    }

    @Test
    void gradientsOfTheWholeLayerWithPaddingMatchFiniteDifferences() {
        for (boolean causal : new boolean[] {true, false}) {
            LongShortRangeAttention a = build(3, 2, causal);
            ParamStore p = new ParamStore(DataType.DOUBLE, 12);
            a.declare(p, "a.");
            INDArray pad = Nd4j.ones(DataType.DOUBLE, 2, 6);
            pad.putScalar(1, 5, 0);
            pad.putScalar(1, 4, 0);
            GradientCheck.Result r = new GradientCheck().check(p, TestData.normal(13, DataType.DOUBLE, 2, 6, D), new GradientCheck.Fn() {
                @Override
                public <X> X apply(Ops<X> ops, X in) {
                    return a.apply(ops, "a.", in, ops.constant(pad));
                }
            }, 14);
            assertTrue(r.passed(), "causal=" + causal + ": " + r);
            assertTrue(r.checked() > 80, r.toString());
        }
    }

    @Test
    void badConfigurationsAreRejectedWithAMessageNamingThem() {
        var zero = assertThrows(IllegalArgumentException.class, () -> new LongShortRangeAttention.Config(0, 2));
        assertEquals("kernel = 0: expected a convolution width ≥ 1", zero.getMessage());
        var groups = assertThrows(IllegalArgumentException.class, () -> new LongShortRangeAttention.Config(3, 0));
        assertTrue(groups.getMessage().startsWith("convHeads = 0: expected"), groups.getMessage());
        var even = assertThrows(IllegalArgumentException.class,
            () -> new LongShortRangeAttention.Config(4, 2).build(new AttentionDims(D, H, T, false)));
        assertTrue(even.getMessage().startsWith("kernel = 4: expected an odd width in the bidirectional form"), even.getMessage());
        assertEquals(4, ((LongShortRangeAttention.Config) new LongShortRangeAttention.Config(4, 2).build(new AttentionDims(D, H, T, true)).config()).kernel(),
            "an even kernel is fine when causal");
        var oddWidth = assertThrows(IllegalArgumentException.class,
            () -> new LongShortRangeAttention.Config(3, 1).build(new AttentionDims(9, 3, T, true)));
        assertEquals("dModel = 9: expected an even width (half the channels go to attention, half to the convolution)", oddWidth.getMessage());
        var conv = assertThrows(IllegalArgumentException.class,
            () -> new LongShortRangeAttention.Config(3, 3).build(new AttentionDims(D, H, T, true)));
        assertEquals("convHeads = 3: expected a divisor of the convolution branch's width dModel/2 = 8", conv.getMessage());
        var heads = assertThrows(IllegalArgumentException.class,
            () -> new LongShortRangeAttention.Config(3, 1).build(new AttentionDims(12, 4, T, true)));
        assertEquals("heads = 4: expected a divisor of the attention branch's width dModel/2 = 6 (LSRA splits the channels in two)", heads.getMessage());
    }

    @Test
    void multAddsCountEveryWeightOnceAndTheKeysAndTaps() {
        // the matrix products of a model use each weight matrix once per token: the count minus the key and tap terms
        // must equal the number of weight-matrix elements (biases, gains, embedding and kernel excluded)
        int vocab = 30, n = 24;
        ModelConfig std = ModelConfig.languageModel(vocab, n).withWidth(32, 4, 64).withLayers(2);
        ModelConfig lite = std.withWidth(48, 4, 48).withAttention(new LongShortRangeAttention.Config(5, 4));
        double keys = (n + 1) / 2.0;
        assertEquals(matrixWeights(std), MultAddCount.perToken(std, n) - 2 * (2 * 32 * keys), 1e-9);
        assertEquals(matrixWeights(lite), MultAddCount.perToken(lite, n) - 2 * (2 * 24 * keys + 5 * 24), 1e-9);
        // bidirectional: every query sees all n keys
        ModelConfig enc = ModelConfig.classifier(vocab, 3, n).withWidth(32, 4, 64);
        assertEquals(2 * (4 * 32 * 32 + 2 * 32 * n + 2 * 32 * 64), MultAddCount.perToken(enc, n), 1e-9);
        var other = assertThrows(IllegalArgumentException.class,
            () -> MultAddCount.perToken(enc.withAttention(Linformer.Config.of(8)), n));
        assertEquals("attention = \"linformer\": expected standard or lsra (the kinds counted)", other.getMessage());
        var len = assertThrows(IllegalArgumentException.class, () -> MultAddCount.perToken(std, n + 1));
        assertEquals("length = 25: expected 1 … maxLen = 24", len.getMessage());
    }

    static double matrixWeights(ModelConfig config) {
        ParamStore p = TransformerModel.create(config, 1).params();
        double total = 0;
        for (var e : p.all().entrySet()) {
            String name = e.getKey();
            INDArray v = e.getValue().value();
            if (v.rank() == 2 && !name.startsWith("embed") && !name.startsWith("pos.") && !name.endsWith("local.kernel")) total += v.length();
        }
        return total;
    }

    @Test
    void aModelConfigWithLsraSurvivesTheCheckpointCodec() {
        ModelConfig c = ModelConfig.languageModel(20, T).withAttention(new LongShortRangeAttention.Config(5, 4));
        assertEquals(c, dev.etlab.io.ConfigCodec.decode(dev.etlab.io.ConfigCodec.encode(c), ModelConfig.class));
    }

    @Test
    void trainsInALanguageModel() {
        ModelConfig c = new ModelConfig(Head.CAUSAL_LM, 12, 0, T, 1, H, D, D, 0.0, dev.etlab.nn.Positions.SINUSOIDAL,
            dev.etlab.nn.Pooling.MEAN, new LongShortRangeAttention.Config(3, 2));
        TransformerModel m = TransformerModel.create(c, 3);
        INDArray logits = m.logits(TestData.tokens(4, 12, 2, T));
        assertEquals(12, logits.size(2));
        assertTrue(m.attentionMaps(TestData.tokens(4, 12, 1, T), null).keySet().stream().anyMatch(k -> k.contains("global")),
            "the attention branch's maps are recorded");
    }
}
