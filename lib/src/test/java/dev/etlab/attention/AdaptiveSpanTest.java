package dev.etlab.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.io.ConfigCodec;
import dev.etlab.nn.GradientCheck;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.SdOps;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class AdaptiveSpanTest {
    static final int D = 8, H = 2, B = 2;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static AdaptiveSpan build(AdaptiveSpan.Config c, int maxLen) {
        return (AdaptiveSpan) c.build(new AttentionDims(D, H, maxLen, true));
    }

    static ParamStore params(Attention a, DataType type, long seed, double... z) {
        ParamStore p = new ParamStore(type, seed);
        a.declare(p, "a.");
        if (z.length > 0) p.assign("a.z", Nd4j.create(z).castTo(type));
        return p;
    }

    /** The soft mask by its definition, m(x) = clamp((R + zS − x)/R, 0, 1) for 0 ≤ x &lt; S, else 0. */
    static double mask(double x, double z, int s, int r) {
        if (x < 0 || x >= s) return 0;
        return Math.max(0, Math.min(1, (r + z * s - x) / r));
    }

    @Test
    void equalsStandardCausalAttentionWhenTheSpanCoversTheSequence() {
        int n = 13;
        AdaptiveSpan.Config c = new AdaptiveSpan.Config(16, 4, 1.0, 0.0, 1, false);
        Attention standard = new StandardAttention.Config().build(new AttentionDims(D, H, 16, true));
        INDArray x = TestData.normal(2, DataType.DOUBLE, B, n, D);
        for (AdaptiveSpan.Config config : new AdaptiveSpan.Config[] {c, c.asDenseMask()}) {
            AdaptiveSpan a = build(config, 16);
            ParamStore p = params(a, DataType.DOUBLE, 1);   // same wq … bo as the standard layer's, plus z = 1
            assertEquals(16, a.window(p, "a."), "z = 1: the window is the whole span S");
            double diff = TestData.maxAbsDiff(standard.forward(p, "a.", x, null), a.forward(p, "a.", x, null));
            assertTrue(diff < 1e-12, config.kind() + ": z = 1, S ≥ T differs from standard causal attention by " + diff);
        }
        // and the mask does act when the span is short: a test that could not fail would prove nothing
        AdaptiveSpan a = build(c, 16);
        ParamStore p = params(a, DataType.DOUBLE, 1, 0.1, 0.2);
        assertTrue(TestData.maxAbsDiff(standard.forward(p, "a.", x, null), a.forward(p, "a.", x, null)) > 1e-3);
    }

    @Test
    void theMaskIsTheDefinitionOnTheRecordedWeights() {
        int s = 12, r = 3, n = 16;
        double[] z = {0.3, 0.75};
        AdaptiveSpan a = build(new AdaptiveSpan.Config(s, r, 0, 0, 1, true), n);
        ParamStore p = params(a, DataType.DOUBLE, 3, z);
        INDArray x = TestData.normal(4, DataType.DOUBLE, 1, n, D);
        NdOps rec = NdOps.recording(p, DataType.DOUBLE);
        a.apply(rec, "a.", x, null);
        INDArray weights = rec.recorded().get("a.probs");                                  // (1, H, T, T), renormalised
        // the plain softmax of the same scores, then mask and renormalise by hand
        INDArray q = x.reshape(n, D).mmul(p.get("a.wq")).addRowVector(p.get("a.bq"));
        INDArray k = x.reshape(n, D).mmul(p.get("a.wk")).addRowVector(p.get("a.bk"));
        int dh = D / H;
        for (int h = 0; h < H; h++) {
            INDArray qh = q.get(NDArrayIndex.all(), NDArrayIndex.interval(h * dh, (h + 1) * dh));
            INDArray kh = k.get(NDArrayIndex.all(), NDArrayIndex.interval(h * dh, (h + 1) * dh));
            double[][] sc = qh.mmul(kh.transpose()).muli(1 / Math.sqrt(dh)).toDoubleMatrix();
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j <= i; j++) max = Math.max(max, sc[i][j]);
                double[] w = new double[n];
                for (int j = 0; j <= i; j++) w[j] = Math.exp(sc[i][j] - max) * mask(i - j, z[h], s, r); // Eq. (3)
                for (double wj : w) sum += wj;
                for (int j = 0; j < n; j++) {
                    assertEquals(w[j] / sum, weights.getDouble(0, h, i, j), 1e-12, "head " + h + " query " + i + " key " + j);
                }
            }
        }
    }

    @Test
    void bandedFastPathEqualsTheDenseOracle() {
        // several spans per head, lengths below, at and above the window, with and without key padding
        double[][] zs = {{0.05, 0.6}, {0.0, 0.0}, {0.37, 1.0}, {0.9, 0.2}};
        for (int trim : new int[] {1, 8}) {
            for (int n : new int[] {5, 24, 37}) {
                for (double[] z : zs) {
                    AdaptiveSpan.Config c = new AdaptiveSpan.Config(24, 4, 0, 0, trim, false);
                    AdaptiveSpan fast = build(c, 40), dense = build(c.asDenseMask(), 40);
                    ParamStore p = params(fast, DataType.DOUBLE, 5, z);
                    INDArray x = TestData.normal(6, DataType.DOUBLE, B, n, D);
                    double diff = TestData.maxAbsDiff(dense.forward(p, "a.", x, null), fast.forward(p, "a.", x, null));
                    assertTrue(diff < 1e-10, "T = " + n + ", z = " + java.util.Arrays.toString(z) + ", trim " + trim + ": " + diff);
                    INDArray pad = Nd4j.ones(DataType.DOUBLE, B, n);
                    pad.get(NDArrayIndex.point(1), NDArrayIndex.interval(n / 2, n)).assign(0);
                    pad.putScalar(0, n / 3, 0);
                    INDArray realQueries = pad.reshape(B, n, 1);                     // a padding query's output is not compared
                    INDArray yd = dense.forward(p, "a.", x, pad).mul(realQueries), yf = fast.forward(p, "a.", x, pad).mul(realQueries);
                    double padDiff = TestData.maxAbsDiff(yd, yf);
                    assertTrue(padDiff < 1e-10, "padded, T = " + n + ", z = " + java.util.Arrays.toString(z) + ": " + padDiff);
                }
            }
        }
    }

    @Test
    void theWindowHoldsTheWholeRampAndShrinksWithTheSpans() {
        AdaptiveSpan a = build(new AdaptiveSpan.Config(512, 32, 0, 0, 32, false), 512);
        assertEquals(64, a.window(0.0), "z = 0: x < R = 32 → 33 keys, rounded up to 64");
        assertEquals(64, a.window(0.05), "zS + R = 57.6 → 58 keys → 64");
        assertEquals(96, a.window(0.1), "zS + R = 83.2 → 84 keys → 96");
        assertEquals(512, a.window(0.95), "capped at S");
        assertEquals(512, a.window(1.0));
        AdaptiveSpan exact = build(new AdaptiveSpan.Config(24, 4, 0, 0, 1, false), 24);
        for (double z = 0; z <= 1; z += 0.01) {
            int w = exact.window(z);
            assertTrue(mask(w, z, 24, 4) == 0 || w == 24, "the first key outside the window has mask 0 (z = " + z + ")");
            assertTrue(mask(w - 2, z, 24, 4) > 0, "the window is at most one key longer than needed (z = " + z + ")");
        }
        ParamStore p = params(exact, DataType.FLOAT, 1, 0.1, 0.5);
        assertArrayEquals(new double[] {2.4, 12}, exact.spans(p, "a."), 1e-6);
        assertEquals(exact.window(0.5), exact.window(p, "a."), "the window follows the longest span");
    }

    @Test
    void theFastPathNeverFormsATimesTMatrixAndItsScoresShrinkWithTheSpan() {
        int n = 512, s = 128;
        AdaptiveSpan a = build(new AdaptiveSpan.Config(s, 8, 0, 0, 16, false), n);
        INDArray x = TestData.normal(7, DataType.FLOAT, 1, n, D);
        long[] largest = new long[2];
        double[][] zs = {{1.0, 0.2}, {0.1, 0.05}};
        for (int i = 0; i < 2; i++) {
            ParamStore p = params(a, DataType.FLOAT, 8, zs[i]);
            ShapeSpy<INDArray> spy = new ShapeSpy<>(NdOps.of(p, DataType.FLOAT));
            a.apply(spy, "a.", x, null);
            largest[i] = spy.largest;
            int w = a.window(p, "a.");
            AdaptiveSpan.Blocking blocking = a.blocking(n, w);
            // the largest array is the score blocks, H · T' · (before + 1)·c, with (before + 1)·c between L and 2L
            assertEquals(H * blocking.scores(n), largest[i], "largest intermediate with window " + w + ", " + blocking);
            assertTrue(blocking.context() >= w && blocking.context() <= 2 * w, blocking + " for window " + w);
        }
        assertTrue(largest[0] < (long) H * n * n, "z = 1: " + largest[0] + " < H·T² = " + (long) H * n * n);
        assertTrue(largest[1] * 3 < largest[0], "short spans, smaller blocks: " + largest[1] + " vs " + largest[0]);
        // the dense oracle does form it
        AdaptiveSpan dense = build(new AdaptiveSpan.Config(s, 8, 0, 0, 16, true), n);
        ShapeSpy<INDArray> spy = new ShapeSpy<>(NdOps.of(params(dense, DataType.FLOAT, 8), DataType.FLOAT));
        dense.apply(spy, "a.", x, null);
        assertEquals((long) H * n * n, spy.largest);
    }

    @Test
    void blocksBalanceScoresAgainstCopiesOfTheKeys() {
        AdaptiveSpan a = build(new AdaptiveSpan.Config(512, 32, 0, 0, 32, false), 4096);   // Dh = 4
        assertEquals(new AdaptiveSpan.Blocking(64, 4), a.blocking(300, 512), "T ≤ L: 5 blocks of 64, the last reaching back to 0");
        assertEquals(new AdaptiveSpan.Blocking(40, 0), a.blocking(40, 512), "T ≤ c: one block of every query");
        assertEquals(new AdaptiveSpan.Blocking(64, 8), a.blocking(4096, 512), "k = √(512 / 8) = 8 blocks of 64");
        assertEquals(new AdaptiveSpan.Blocking(8, 1), a.blocking(4096, 8), "k = round(√1) = 1: the block before");
        assertEquals(new AdaptiveSpan.Blocking(26, 2), a.blocking(77, 76), "k = round(√9.5) = 3 blocks of 26, but only 2 before the last");
        assertEquals(4096L * (512 + 64), a.blocking(4096, 512).scores(4096), "T·(L + c) scores");
    }

    @Test
    void trimmedTapeUntrimmedGraphAndEagerPathAgree() {
        AdaptiveSpan a = build(new AdaptiveSpan.Config(16, 2, 0, 0, 1, false), 20);
        ParamStore p = params(a, DataType.FLOAT, 9, 0.1, 0.3);
        INDArray x = TestData.normal(10, DataType.FLOAT, B, 20, D);
        INDArray eager = a.forward(p, "a.", x, null);                        // window 7 (⌊4.8 + 2⌋ + 1)
        Var tape = a.apply(TapeOps.of(p, DataType.FLOAT), "a.", TapeOps.of(p, DataType.FLOAT).constant(x), null);
        SameDiff sd = SameDiff.create();
        SdOps g = new SdOps(sd, p, DataType.FLOAT, false);                   // a graph: untrimmed, window S = 16
        SDVariable out = a.apply(g, "a.", g.placeholder("x", DataType.FLOAT, B, 20, D), null);
        INDArray graph = sd.output(Map.of("x", x), out.name()).get(out.name());
        assertTrue(TestData.maxAbsDiff(eager, tape.value()) < 1e-6);
        assertTrue(TestData.maxAbsDiff(eager, graph) < 1e-5, "trimmed and untrimmed differ by " + TestData.maxAbsDiff(eager, graph));
    }

    @Test
    void gradientsOfEveryParameterAndOfZMatchFiniteDifferences() {
        // z·S off the integers, so no key sits on a kink of the clamp; one head's ramp crosses the trimmed window's edge
        for (AdaptiveSpan.Config c : new AdaptiveSpan.Config[] {new AdaptiveSpan.Config(10, 3, 0, 0, 1, false),
            new AdaptiveSpan.Config(10, 3, 0, 0, 1, true)}) {
            AdaptiveSpan a = build(c, 12);
            ParamStore p = params(a, DataType.DOUBLE, 11, 0.23, 0.47);
            INDArray x = TestData.normal(12, DataType.DOUBLE, B, 12, D);
            GradientCheck.Result r = new GradientCheck().check(p, x, new GradientCheck.Fn() {
                @Override
                public <T> T apply(Ops<T> ops, T in) {
                    return a.apply(ops, "a.", in, null);
                }
            }, 13);
            assertTrue(r.passed(), c.kind() + ": " + r);
            assertTrue(r.checked() > 50, r.toString());
            // z's gradient is not zero (else the check above would pass trivially for it)
            TapeOps ops = TapeOps.of(p, DataType.DOUBLE);
            Var y = a.apply(ops, "a.", ops.constant(x), null);
            ops.backward(ops.sum(ops.mul(y, ops.constant(TestData.normal(14, DataType.DOUBLE, B, 12, D))), false));
            INDArray dz = ops.paramGradients().get("a.z");
            assertTrue(Math.abs(dz.getDouble(0)) > 1e-4 && Math.abs(dz.getDouble(1)) > 1e-4, "dL/dz = " + dz);
        }
    }

    @Test
    void penaltyIsCoefTimesSTimesMeanZAndTheClampKeepsZInItsRange() {
        AdaptiveSpan a = build(new AdaptiveSpan.Config(16, 2, 0.5, 0.01, 1, false), 16);
        ParamStore p = params(a, DataType.DOUBLE, 15, 0.25, 0.75);
        INDArray term = a.trainingLoss(NdOps.of(p, DataType.DOUBLE), "a.");
        assertEquals(0.01 * 16 * 0.5, term.getDouble(0), 1e-12);
        p.assign("a.z", Nd4j.create(new double[] {-0.2, 1.3}));
        a.afterTrainingStep(p, "a.", 1);
        assertArrayEquals(new double[] {0, 1}, p.get("a.z").toDoubleVector());
        assertEquals(null, build(new AdaptiveSpan.Config(16, 2, 0.5, 0, 1, false), 16).trainingLoss(NdOps.of(p, DataType.DOUBLE), "a."),
            "no penalty, no term");
        assertEquals(0.5, params(a, DataType.FLOAT, 1).get("a.z").getDouble(1), 1e-7, "z starts at initialSpan");
    }

    @Test
    void badConfigsAreRejectedWithAMessageNamingThem() {
        assertMessage("maxSpan = 0: expected at least 1 key (the largest span S a head may learn)", () -> AdaptiveSpan.Config.of(0));
        assertMessage("maxSpan = 64: expected at most maxLen = 32", () -> AdaptiveSpan.Config.of(64).build(new AttentionDims(D, H, 32, true)));
        assertMessage("ramp = 0: expected at least 1 (the width R of the soft mask's ramp; the paper uses 32)",
            () -> AdaptiveSpan.Config.of(8).withRamp(0));
        assertMessage("initialSpan = 1.5: expected a value of z in [0, 1]", () -> AdaptiveSpan.Config.of(8).withInitialSpan(1.5));
        assertMessage("initialSpan = -0.1: expected a value of z in [0, 1]", () -> AdaptiveSpan.Config.of(8).withInitialSpan(-0.1));
        assertMessage("initialSpan = NaN: expected a value of z in [0, 1]", () -> AdaptiveSpan.Config.of(8).withInitialSpan(Double.NaN));
        assertMessage("penalty = -1.0E-6: expected 0 or a positive finite coefficient", () -> AdaptiveSpan.Config.of(8).withPenalty(-1e-6));
        assertMessage("trimMultiple = 0: expected at least 1 (1 = trim to the exact span)", () -> AdaptiveSpan.Config.of(8).withTrimMultiple(0));
        assertMessage("causal = false: expected true: adaptive span is a causal mechanism (a key x ≥ 0 positions back)",
            () -> AdaptiveSpan.Config.of(8).build(new AttentionDims(D, H, 32, false)));
    }

    @Test
    void configRoundTripsThroughTheCodec() {
        AdaptiveSpan.Config c = new AdaptiveSpan.Config(512, 32, 0.1, 2e-6, 32, false);
        assertEquals(c, ConfigCodec.decode(ConfigCodec.encode(c, AttentionConfig.class), AttentionConfig.class));
        assertEquals("adaptive-span (dense mask)", c.asDenseMask().kind());
    }

    static void assertMessage(String expected, org.junit.jupiter.api.function.Executable run) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, run).getMessage());
    }
}
