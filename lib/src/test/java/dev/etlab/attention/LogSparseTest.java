package dev.etlab.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.GradientCheck;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.SdOps;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class LogSparseTest {
    static final int D = 16, H = 2;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static AttentionDims causal(int maxLen) {
        return new AttentionDims(D, H, maxLen, true);
    }

    static ParamStore params(Attention a, long seed) {
        ParamStore p = new ParamStore(DataType.DOUBLE, seed);
        a.declare(p, "a.");
        return p;
    }

    static INDArray padding(int b, int t, int real) {
        INDArray pad = Nd4j.ones(DataType.DOUBLE, b, t);
        pad.get(NDArrayIndex.point(1), NDArrayIndex.interval(real, t)).assign(0); // item 1 is padded, item 0 is not
        return pad;
    }

    /**
     * The most padding (at most 4 positions) that still leaves every query at least one allowed real key: the dense
     * oracle's softmax backward is NaN on a fully masked row (fullyPaddedSubsequencesKeepFiniteGradients covers
     * such rows for the sparse path).
     */
    static int realKeysForEveryQuery(LogSparse.Config c, int t) {
        for (int real = t - 4; real < t; real++) {
            boolean everyRow = true;
            for (int i = 0; i < t && everyRow; i++) {
                boolean any = false;
                for (int j = 0; j < real && !any; j++) any = c.allows(i, j, t, true);
                everyRow = any;
            }
            if (everyRow) return real;
        }
        throw new AssertionError(c + " T=" + t + ": no padding leaves every query a real key");
    }

    /**
     * The honest dense contrast for any kernel: the same (convolutional) queries and keys as the
     * sparse layer, then the full (T × T) score matrix masked with the same pattern (DenseMaskAttention).
     */
    static <T> T denseOracle(Ops<T> ops, LogSparse sparse, DenseMaskAttention dense, T x, T pad) {
        MultiHeadAttention.QueryKey<T> qk = sparse.projectQueryKey(ops, "a.", x);
        T q = dense.splitHeads(ops, qk.queries());
        T k = dense.splitHeads(ops, qk.keys());
        T v = dense.splitHeads(ops, ops.linear(x, ops.param("a.wv"), ops.param("a.bv")));
        T heads = dense.attend(ops, "a.", q, k, v, pad);                                         // (B, H, T, Dh) via (T × T)
        return ops.linear(dense.mergeHeads(ops, heads), ops.param("a.wo"), ops.param("a.bo"));
    }

    /** Gradients of Σ f(x)·R with respect to every parameter and x, from a SameDiff graph. */
    static Map<String, INDArray> gradients(ParamStore p, INDArray x, GradientCheck.Fn f) {
        SameDiff sd = SameDiff.create();
        SdOps g = new SdOps(sd, p, DataType.DOUBLE, false);
        SDVariable xv = g.track(sd.var("x", x.dup()), x.shape());
        SDVariable out = f.apply(g, xv);
        INDArray r = TestData.normal(99, DataType.DOUBLE, g.shape(out));
        SDVariable loss = sd.sum(out.mul(sd.constant(r)));
        loss.markAsLoss();
        List<String> wrt = new java.util.ArrayList<>(g.paramNames());
        wrt.add("x");
        return Lab.withoutGraphChatter(() -> sd.calculateGradients(Map.of(), wrt));
    }

    static double maxGradDiff(Map<String, INDArray> a, Map<String, INDArray> b) {
        assertEquals(a.keySet(), b.keySet(), "same gradient set");
        double worst = 0;
        for (String n : a.keySet()) {
            double d = TestData.maxAbsDiff(a.get(n), b.get(n));
            worst = Math.max(worst, d);
        }
        return worst;
    }

    // ---------------------------------------------------------------- the pattern

    @Test
    void offsetsAreTheWindowThenPowersOfTwo() {
        assertArrayEquals(new int[] {0, 1, 2, 4, 8}, LogSparse.Config.of(1, 1).offsets(16));
        assertArrayEquals(new int[] {0, 1, 2, 4, 8}, LogSparse.Config.of(1, 1).offsets(13));
        assertArrayEquals(new int[] {0, 1, 2, 4, 8, 16}, LogSparse.Config.of(1, 1).offsets(17));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 8, 16}, LogSparse.Config.of(6, 1).offsets(20));
        assertArrayEquals(new int[] {0, 1, 2, 4}, LogSparse.Config.of(1, 1).withRestart(8).offsets(100));
        assertArrayEquals(new int[] {0, 1, 2}, LogSparse.Config.of(5, 1).offsets(3), "a short sequence has fewer offsets");
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, LogSparse.Config.full(3).offsets(5));
    }

    @Test
    void patternMatrixMatchesThePaperForAWindowOfOne() {
        // the paper's index set for cell l: {l − 2^⌊log2 l⌋, …, l − 2, l − 1, l}
        boolean[][] m = LogSparse.Config.of(1, 1).matrix(40, true);
        for (int i = 0; i < 40; i++) {
            java.util.Set<Integer> expected = new java.util.HashSet<>(List.of(i));
            for (int p = 1; p <= i; p *= 2) expected.add(i - p);
            for (int j = 0; j < 40; j++) assertEquals(expected.contains(j), m[i][j], "query " + i + ", key " + j);
        }
    }

    @Test
    void restartMasksKeysBeforeTheSubsequence() {
        LogSparse.Config c = LogSparse.Config.of(2, 1).withRestart(8);
        assertTrue(c.allows(9, 8, 32, true));
        assertFalse(c.allows(9, 7, 32, true), "key 7 is in the previous subsequence");
        assertFalse(c.allows(17, 15, 32, true));
        assertTrue(c.allows(15, 11, 32, true), "distance 4 inside the subsequence");
        assertFalse(c.allows(3, 4, 32, true), "never a future key");
    }

    @Test
    void allowedPairsGrowAsTLogT() {
        LogSparse.Config c = LogSparse.Config.of(1, 1);
        for (int n : new int[] {64, 256, 1024}) {
            long pairs = c.allowedPairs(n, true);
            long bound = (long) n * (1 + (long) Math.ceil(Math.log(n) / Math.log(2)));
            assertTrue(pairs <= bound, n + ": " + pairs + " pairs > T(1 + log2 T) = " + bound);
            assertTrue(pairs >= (long) n * (Math.log(n) / Math.log(2) - 1) / 1.2, n + ": " + pairs + " pairs is too few for T log T");
        }
    }

    // ---------------------------------------------------------------- equality with the dense-mask oracle

    @Test
    void equalsTheDenseMaskOracleForwardAndGradientsWithCanonicalQueriesAndKeys() {
        for (LogSparse.Config c : List.of(LogSparse.Config.of(1, 1), LogSparse.Config.of(3, 1), LogSparse.Config.of(2, 1).withRestart(6))) {
            for (int t : new int[] {14, 16}) { // (a last subsequence of one position could not hold padding and a real key)
                AttentionDims dims = causal(t);
                Attention sparse = c.build(dims);
                Attention dense = new DenseMaskAttention.Config(c).build(dims);
                ParamStore p = params(sparse, 3);
                assertEquals(p.all().keySet(), params(dense, 3).all().keySet(), "k = 1: the same parameters as the dense version");
                INDArray x = TestData.normal(4, DataType.DOUBLE, 2, t, D);
                for (INDArray pad : new INDArray[] {null, padding(2, t, realKeysForEveryQuery(c, t))}) {
                    double fwd = TestData.maxAbsDiff(sparse.forward(p, "a.", x, pad), dense.forward(p, "a.", x, pad));
                    assertTrue(fwd < 1e-12, c + " T=" + t + " pad=" + (pad != null) + ": forward differs by " + fwd);
                    double grad = maxGradDiff(
                        gradients(p, x, fn(sparse, pad)), gradients(p, x, fn(dense, pad)));
                    assertTrue(grad < 1e-10, c + " T=" + t + " pad=" + (pad != null) + ": gradients differ by " + grad);
                }
            }
        }
    }

    @Test
    void equalsTheDenseOracleWithTheSameConvolutionalQueriesAndKeys() {
        for (LogSparse.Config c : List.of(LogSparse.Config.of(1, 3), LogSparse.Config.of(2, 5).withRestart(7))) {
            int t = 16;
            AttentionDims dims = causal(t);
            LogSparse sparse = (LogSparse) c.build(dims);
            DenseMaskAttention dense = (DenseMaskAttention) new DenseMaskAttention.Config(c).build(dims);
            ParamStore p = params(sparse, 5);
            assertTrue(p.contains("a.wq_taps") && p.contains("a.wk_taps") && !p.contains("a.wv_taps"), "taps for Q and K only");
            INDArray x = TestData.normal(6, DataType.DOUBLE, 2, t, D);
            INDArray pad = padding(2, t, realKeysForEveryQuery(c, t));
            GradientCheck.Fn oracle = new GradientCheck.Fn() {
                @Override public <T> T apply(Ops<T> ops, T in) {
                    return denseOracle(ops, sparse, dense, in, ops.constant(pad));
                }
            };
            INDArray want = oracle.apply(NdOps.of(p, DataType.DOUBLE), x);
            double fwd = TestData.maxAbsDiff(sparse.forward(p, "a.", x, pad), want);
            assertTrue(fwd < 1e-12, c + ": forward differs from the dense oracle by " + fwd);
            double grad = maxGradDiff(gradients(p, x, fn(sparse, pad)), gradients(p, x, oracle));
            assertTrue(grad < 1e-10, c + ": gradients differ from the dense oracle by " + grad);
            // the oracle is not trivially the same code: with canonical Q/K instead, the outputs differ
            double plain = TestData.maxAbsDiff(dense.forward(p, "a.", x, pad), want);
            assertTrue(plain > 1e-3, "conv queries/keys must matter: " + plain);
        }
    }

    static GradientCheck.Fn fn(Attention a, INDArray pad) {
        return new GradientCheck.Fn() {
            @Override public <T> T apply(Ops<T> ops, T in) {
                return a.apply(ops, "a.", in, pad == null ? null : ops.constant(pad));
            }
        };
    }

    // ---------------------------------------------------------------- reductions to standard attention

    @Test
    void aWindowCoveringEverythingIsStandardCausalAttention() {
        int t = 12;
        Attention sparse = LogSparse.Config.of(t, 1).build(causal(t));
        Attention standard = new StandardAttention.Config().build(causal(t));
        ParamStore p = params(standard, 7);
        INDArray x = TestData.normal(8, DataType.DOUBLE, 2, t, D);
        INDArray pad = padding(2, t, 9);
        assertTrue(TestData.maxAbsDiff(sparse.forward(p, "a.", x, null), standard.forward(p, "a.", x, null)) < 1e-12);
        assertTrue(TestData.maxAbsDiff(sparse.forward(p, "a.", x, pad), standard.forward(p, "a.", x, pad)) < 1e-12);
        double grad = maxGradDiff(gradients(p, x, fn(sparse, null)), gradients(p, x, fn(standard, null)));
        assertTrue(grad < 1e-10, "gradients differ by " + grad);
    }

    @Test
    void kernelOneIsCanonicalAttentionParameterForParameter() {
        int t = 10;
        Attention conv = LogSparse.Config.full(1).build(causal(t));
        Attention standard = new StandardAttention.Config().build(causal(t));
        ParamStore p = params(conv, 9);
        assertEquals(params(standard, 9).all().keySet(), p.all().keySet());
        INDArray x = TestData.normal(10, DataType.DOUBLE, 3, t, D);
        assertEquals(0.0, TestData.maxAbsDiff(conv.forward(p, "a.", x, null), standard.forward(p, "a.", x, null)), 1e-12);
        // and a kernel of 3 is not (the test above could not fail otherwise)
        Attention wide = LogSparse.Config.full(3).build(causal(t));
        ParamStore pw = params(wide, 9);
        assertTrue(TestData.maxAbsDiff(wide.forward(pw, "a.", x, null), standard.forward(pw, "a.", x, null)) > 1e-3);
    }

    @Test
    void convolutionalQueriesAndKeysAreACausalConvolution() {
        int t = 9, k = 3;
        LogSparse conv = (LogSparse) LogSparse.Config.of(1, k).build(causal(t));
        ParamStore p = params(conv, 11);
        INDArray x = TestData.normal(12, DataType.DOUBLE, 2, t, D);
        MultiHeadAttention.QueryKey<INDArray> qk = conv.projectQueryKey(NdOps.of(p, DataType.DOUBLE), "a.", x);
        for (String which : new String[] {"q", "k"}) {
            INDArray w0 = p.get("a.w" + which), taps = p.get("a.w" + which + "_taps"), bias = p.get("a.b" + which);
            INDArray got = which.equals("q") ? qk.queries() : qk.keys();
            for (int b = 0; b < 2; b++) {
                for (int i = 0; i < t; i++) {
                    INDArray want = x.get(NDArrayIndex.point(b), NDArrayIndex.point(i), NDArrayIndex.all()).reshape(1, D).mmul(w0).reshape(D).add(bias);
                    for (int s = 1; s < k && i - s >= 0; s++) { // tap s multiplies x[i − s]; before the start: zero padding
                        INDArray ws = taps.get(NDArrayIndex.interval((long) (s - 1) * D, (long) s * D), NDArrayIndex.all());
                        want.addi(x.get(NDArrayIndex.point(b), NDArrayIndex.point(i - s), NDArrayIndex.all()).reshape(1, D).mmul(ws).reshape(D));
                    }
                    INDArray have = got.get(NDArrayIndex.point(b), NDArrayIndex.point(i), NDArrayIndex.all());
                    assertTrue(TestData.maxAbsDiff(want, have) < 1e-12, which + " at b=" + b + ", t=" + i);
                }
            }
        }
    }

    // ---------------------------------------------------------------- gradients, memory shape, bad inputs

    @Test
    void gradientsMatchFiniteDifferences() {
        for (LogSparse.Config c : List.of(LogSparse.Config.of(1, 3), LogSparse.Config.of(2, 3).withRestart(4), LogSparse.Config.full(3))) {
            Attention a = c.build(causal(9));
            ParamStore p = params(a, 13);
            INDArray x = TestData.normal(14, DataType.DOUBLE, 2, 9, D);
            GradientCheck.Result r = new GradientCheck().check(p, x, fn(a, padding(2, 9, 7)), 15);
            assertTrue(r.passed(), c + ": " + r);
            assertTrue(r.checked() > 80, "enough elements checked: " + r);
        }
    }

    @Test
    void fullyPaddedSubsequencesKeepFiniteGradients() {
        int t = 12;
        Attention a = LogSparse.Config.of(2, 3).withRestart(4).build(causal(t));
        ParamStore p = params(a, 21);
        INDArray x = TestData.normal(22, DataType.DOUBLE, 2, t, D);
        INDArray pad = padding(2, t, 8); // item 1: the subsequence 8..11 is all padding
        Map<String, INDArray> g = gradients(p, x, fn(a, pad));
        for (Map.Entry<String, INDArray> e : g.entrySet()) {
            assertTrue(Double.isFinite(e.getValue().sumNumber().doubleValue()), e.getKey() + " has a NaN or infinite gradient");
        }
        INDArray y = a.forward(p, "a.", x, pad);
        assertTrue(Double.isFinite(y.sumNumber().doubleValue()));
    }

    @Test
    void theFastPathNeverFormsATimesTMatrix() {
        int t = 256;
        Attention a = LogSparse.Config.of(4, 3).build(causal(t));
        ParamStore p = new ParamStore(DataType.FLOAT, 1);
        a.declare(p, "a.");
        SameDiff sd = SameDiff.create();
        SdOps g = new SdOps(sd, p, DataType.FLOAT, false);
        SDVariable out = a.apply(g, "a.", g.placeholder("x", DataType.FLOAT, 1, t, D), g.placeholder("pad", DataType.FLOAT, 1, t));
        assertArrayEquals(new long[] {1, t, D}, g.shape(out));
        int tracked = 0;
        for (SDVariable v : sd.variables()) {
            long[] s;
            try {
                s = g.shape(v);
            } catch (IllegalStateException untracked) {
                continue;
            }
            tracked++;
            long axesOfLengthT = java.util.Arrays.stream(s).filter(d -> d >= t).count();
            assertTrue(axesOfLengthT <= 1, v.name() + " has shape " + java.util.Arrays.toString(s) + ": two sequence-sized axes");
        }
        assertTrue(tracked > 20, "the graph was inspected: " + tracked + " variables");
        // the dense-mask version does form one, so the check can fail
        Attention dense = new DenseMaskAttention.Config(LogSparse.Config.of(4, 1)).build(causal(t));
        SameDiff sd2 = SameDiff.create();
        SdOps g2 = new SdOps(sd2, p, DataType.FLOAT, false);
        dense.apply(g2, "a.", g2.placeholder("x", DataType.FLOAT, 1, t, D), null);
        assertTrue(sd2.variables().stream().anyMatch(v -> {
            try {
                return java.util.Arrays.stream(g2.shape(v)).filter(d -> d >= t).count() >= 2;
            } catch (IllegalStateException untracked) {
                return false;
            }
        }));
    }

    @Test
    void badConfigurationsAreRejectedWithClearMessages() {
        assertEquals("localWindow = 0: expected at least 1 (distance 0, the query itself, is always attended)",
            assertThrows(IllegalArgumentException.class, () -> LogSparse.Config.of(0, 1)).getMessage());
        for (int k : new int[] {2, 0, -1, 4}) {
            String msg = assertThrows(IllegalArgumentException.class, () -> LogSparse.Config.of(1, k)).getMessage();
            assertTrue(msg.startsWith("kernel = " + k + ": expected an odd integer ≥ 1"), msg);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LogSparse.Config.of(4, 1).withRestart(3)).getMessage()
            .startsWith("restartLength = 3: expected 0 (off) or at least max(2, localWindow = 4)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LogSparse.Config.of(1, 1).withRestart(1)).getMessage()
            .startsWith("restartLength = 1: expected"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LogSparse.Config.full(3).withRestart(8)).getMessage()
            .contains("0 with the FULL pattern"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new LogSparse.Config(1, 1, 0, null)).getMessage()
            .startsWith("pattern = null: expected one of [LOG_SPARSE, FULL]"));
        assertEquals("localWindow = 17: expected at most maxLen = 16 (the longest sequence)",
            assertThrows(IllegalArgumentException.class, () -> LogSparse.Config.of(17, 1).build(causal(16))).getMessage());
        assertEquals("restartLength = 32: expected at most maxLen = 16 (the longest sequence)",
            assertThrows(IllegalArgumentException.class, () -> LogSparse.Config.of(1, 1).withRestart(32).build(causal(16))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LogSparse.Config.of(1, 1).build(new AttentionDims(D, H, 16, false)))
            .getMessage().startsWith("causal = false: expected true"));
        String model = assertThrows(IllegalArgumentException.class,
            () -> ModelConfig.classifier(10, 2, 16).withAttention(LogSparse.Config.of(1, 3))).getMessage();
        assertTrue(model.startsWith("attention = logsparse: expected a mechanism with a bidirectional form"), model);
        assertEquals(Set.of("logsparse"), Set.of(AttentionRegistry.get("logsparse").defaults().kind()));
    }
}
