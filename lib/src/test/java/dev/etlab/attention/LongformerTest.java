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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.indexing.conditions.Conditions;

class LongformerTest {
    static final int D = 8, H = 2, B = 2;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static Longformer.Config shared(int w, int d, int... global) {
        return Longformer.Config.of(w).withDilation(d).withGlobal(global).withGlobalProjections(Longformer.GlobalProjections.SHARED);
    }

    static ParamStore params(Attention a, long seed) {
        ParamStore p = new ParamStore(DataType.DOUBLE, seed);
        a.declare(p, "a.");
        return p;
    }

    /** (B, T) key padding: item 0 unpadded, item 1 with its last {@code padded} positions padding; or null. */
    static INDArray padding(int n, int padded) {
        if (padded == 0) return null;
        INDArray pad = Nd4j.ones(DataType.DOUBLE, B, n);
        pad.get(NDArrayIndex.point(1), NDArrayIndex.interval(n - padded, n)).assign(0);
        return pad;
    }

    /** (B, T, 1): 1 on real positions, 0 on padding (whose outputs are unspecified). */
    static INDArray real(INDArray pad, int n) {
        return pad == null ? Nd4j.ones(DataType.DOUBLE, B, n, 1) : pad.reshape(B, n, 1);
    }

    /** Largest |a − b|, or +∞ if either holds a NaN or an infinity (ND4J's amax skips NaN: a NaN must not pass for agreement). */
    static double diff(INDArray a, INDArray b) {
        boolean bad = BooleanIndexing.or(a, Conditions.isNan()) || BooleanIndexing.or(b, Conditions.isNan())
            || BooleanIndexing.or(a, Conditions.isInfinite()) || BooleanIndexing.or(b, Conditions.isInfinite());
        return bad ? Double.POSITIVE_INFINITY : TestData.maxAbsDiff(a, b);
    }

    /** {@link #diff} over the real (unpadded) rows of (B, T, D) outputs. */
    static double realDiff(INDArray a, INDArray b, INDArray pad, int n) {
        double worst = 0;
        for (int i = 0; i < B; i++) {
            long len = pad == null ? n : pad.getRow(i).sumNumber().longValue();
            var rows = new org.nd4j.linalg.indexing.INDArrayIndex[] {NDArrayIndex.point(i), NDArrayIndex.interval(0, len), NDArrayIndex.all()};
            worst = Math.max(worst, diff(a.get(rows), b.get(rows)));
        }
        return worst;
    }

    // ---------------------------------------------------------------- equality with the dense-mask oracle

    static Stream<Arguments> patterns() {
        List<Arguments> out = new ArrayList<>();
        int[][] globals = {{}, {0}, {0, 1, 6}, {4, 12}};
        for (boolean causal : new boolean[] {false, true})
            for (int w : new int[] {1, 2, 3, 5})
                for (int d : new int[] {1, 2, 3})
                    for (int[] g : globals)
                        for (int padded : new int[] {0, 4})
                            out.add(Arguments.of(w, d, g, causal, 13, padded));
        return out.stream();
    }

    @ParameterizedTest(name = "w={0} d={1} global={2} causal={3} T={4} padded={5}")
    @MethodSource("patterns")
    void forwardEqualsTheDenseMaskOfTheSamePattern(int w, int d, int[] g, boolean causal, int n, int padded) {
        Longformer.Config c = shared(w, d, g);
        AttentionDims dims = new AttentionDims(D, H, n, causal);
        Attention sparse = c.build(dims), dense = new DenseMaskAttention.Config(c).build(dims);
        ParamStore p = params(sparse, 1);
        INDArray x = TestData.normal(2, DataType.DOUBLE, B, n, D), pad = padding(n, padded);
        double diff = realDiff(sparse.forward(p, "a.", x, pad), dense.forward(p, "a.", x, pad), pad, n);
        assertTrue(diff < 1e-10, "chunked and dense-mask outputs differ by " + diff);
    }

    /** SameDiff gradients of Σ out ⊙ R over real positions, for every parameter and the input. */
    static Map<String, INDArray> gradients(Attention a, ParamStore p, INDArray x, INDArray pad, INDArray r) {
        SameDiff sd = SameDiff.create();
        SdOps g = new SdOps(sd, p, DataType.DOUBLE, false);
        SDVariable xv = g.track(sd.var("x", x.dup()), x.shape());
        SDVariable out = a.apply(g, "a.", xv, pad == null ? null : g.constant(pad));
        sd.sum(out.mul(sd.constant(r))).markAsLoss();
        List<String> names = new ArrayList<>(g.paramNames());
        names.add("x");
        return Lab.withoutGraphChatter(() -> sd.calculateGradients(Map.of(), names));
    }

    @ParameterizedTest(name = "w={0} d={1} global={2} causal={3}")
    @MethodSource("gradientCases")
    void gradientsEqualThoseOfTheDenseMask(int w, int d, int[] g, boolean causal) {
        int n = 11;
        Longformer.Config c = shared(w, d, g);
        AttentionDims dims = new AttentionDims(D, H, n, causal);
        Attention sparse = c.build(dims), dense = new DenseMaskAttention.Config(c).build(dims);
        ParamStore p = params(sparse, 3);
        // two padded positions: every row of the dense oracle keeps a real key (a row masked entirely is NaN in ND4J's
        // float64 softmax, see Longformer.notSelf; the chunked layer avoids that, the oracle does not)
        INDArray x = TestData.normal(4, DataType.DOUBLE, B, n, D), pad = padding(n, 2);
        INDArray r = TestData.normal(5, DataType.DOUBLE, B, n, D).mul(real(pad, n));
        Map<String, INDArray> gs = gradients(sparse, p, x, pad, r), gd = gradients(dense, p, x, pad, r);
        assertEquals(gd.keySet(), gs.keySet());
        for (String name : gd.keySet()) {
            double diff = diff(gs.get(name), gd.get(name));
            assertTrue(diff < 1e-10, name + ": gradients differ by " + diff);
            // (the key bias adds the same q·b_k to every score of a row, so its exact gradient is 0)
            if (!name.equals("a.bk")) assertTrue(gd.get(name).amaxNumber().doubleValue() > 1e-6, name + ": a gradient that is zero proves nothing");
        }
    }

    static Stream<Arguments> gradientCases() {
        return Stream.of(Arguments.of(3, 2, new int[] {0}, false), Arguments.of(2, 1, new int[] {}, false), Arguments.of(3, 3, new int[] {4}, true),
            Arguments.of(2, 1, new int[] {0, 5}, true), Arguments.of(1, 3, new int[] {2, 3, 9}, false), Arguments.of(2, 2, new int[] {1}, true));
    }

    // ---------------------------------------------------------------- the paper's separate global projections

    @ParameterizedTest(name = "causal={0}")
    @MethodSource("bools")
    void globalRowsUseTheirOwnProjectionsAndTheOtherRowsTheDenseMask(boolean causal) {
        int n = 14;
        int[] g = {0, 6, 7};
        Longformer.Config c = Longformer.Config.of(2).withGlobal(g);
        AttentionDims dims = new AttentionDims(D, H, n, causal);
        Attention sparse = c.build(dims);
        ParamStore p = params(sparse, 6);
        assertTrue(p.contains("a.wqg") && p.contains("a.bkg") && p.contains("a.wvg"), "Q_g, K_g, V_g declared: " + p.all().keySet());
        INDArray x = TestData.normal(7, DataType.DOUBLE, B, n, D), pad = padding(n, 3);
        INDArray y = sparse.forward(p, "a.", x, pad);
        // non-global rows: the pattern over the ordinary projections (global keys scored with K_s, V_s)
        INDArray dense = new DenseMaskAttention.Config(c).build(dims).forward(p, "a.", x, pad);
        // global rows: standard attention over all keys with Q_g, K_g, V_g
        ParamStore globalParams = p.copy();
        for (String w : new String[] {"q", "k", "v"}) {
            globalParams.assign("a.w" + w, p.get("a.w" + w + "g"));
            globalParams.assign("a.b" + w, p.get("a.b" + w + "g"));
        }
        INDArray standard = new StandardAttention.Config().build(dims).forward(globalParams, "a.", x, pad);
        for (int item = 0; item < B; item++) {
            for (int i = 0; i < n; i++) {
                if (pad.getDouble(item, i) == 0) continue;                     // padding rows: unspecified
                INDArray expected = (c.isGlobal(i) ? standard : dense).get(NDArrayIndex.point(item), NDArrayIndex.point(i), NDArrayIndex.all());
                double diff = diff(y.get(NDArrayIndex.point(item), NDArrayIndex.point(i), NDArrayIndex.all()), expected);
                assertTrue(diff < 1e-10, "item " + item + " row " + i + (c.isGlobal(i) ? " (global)" : "") + " differs by " + diff);
            }
        }
        // and the global projections matter: with the window's projections the global rows would differ
        double separateVsShared = TestData.maxAbsDiff(y, c.withGlobalProjections(Longformer.GlobalProjections.SHARED).build(dims).forward(p, "a.", x, pad));
        assertTrue(separateVsShared > 1e-3, "separate and shared projections give the same output");
    }

    static Stream<Boolean> bools() {
        return Stream.of(false, true);
    }

    // ---------------------------------------------------------------- degenerate settings: standard attention

    @ParameterizedTest(name = "causal={0}")
    @MethodSource("bools")
    void aWindowCoveringTheSequenceIsStandardAttention(boolean causal) {
        for (int n : new int[] {5, 9}) {
            for (int w : new int[] {n - 1, n}) {
                for (int[] g : new int[][] {{}, {0}, {0, 3}}) { // shared projections: a global key already in every window must count once
                    AttentionDims dims = new AttentionDims(D, H, n, causal);
                    Attention lf = shared(w, 1, g).build(dims);
                    ParamStore p = params(lf, 8);
                    INDArray x = TestData.normal(9, DataType.DOUBLE, B, n, D), pad = padding(n, 2);
                    double diff = realDiff(lf.forward(p, "a.", x, pad), new StandardAttention.Config().build(dims).forward(p, "a.", x, pad), pad, n);
                    assertTrue(diff < 1e-10, "n=" + n + " w=" + w + " differs from standard attention by " + diff);
                }
            }
        }
    }

    @Test
    void everyPositionGlobalIsStandardAttention() {
        int n = 10;
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        AttentionDims dims = new AttentionDims(D, H, n, false);
        Attention lf = shared(1, 1, all).build(dims);
        ParamStore p = params(lf, 10);
        INDArray x = TestData.normal(11, DataType.DOUBLE, B, n, D);
        double diff = diff(lf.forward(p, "a.", x, null), new StandardAttention.Config().build(dims).forward(p, "a.", x, null));
        assertTrue(diff < 1e-10, "all-global differs from standard attention by " + diff);
    }

    @Test
    void windowsMadeOfPaddingGiveFiniteOutputsAndGradients() {
        // n = 6 padded to 8 inside; item 1 has 4 padding tokens: the windows of positions 4, 5 (and of the internal
        // padding 6, 7) hold no real key, and the global row 5 is itself padding
        int n = 6;
        for (boolean causal : new boolean[] {false, true}) {
            Attention a = Longformer.Config.of(1).withDilation(4).withGlobal(0, 5).build(new AttentionDims(D, H, n, causal));
            ParamStore p = params(a, 20);
            INDArray x = TestData.normal(21, DataType.DOUBLE, B, n, D), pad = padding(n, 4);
            INDArray y = a.forward(p, "a.", x, pad);
            assertTrue(diff(y, y) == 0, "finite output everywhere, padding rows included");
            Map<String, INDArray> g = gradients(a, p, x, pad, TestData.normal(22, DataType.DOUBLE, B, n, D).mul(real(pad, n)));
            g.forEach((name, grad) -> assertTrue(diff(grad, grad) == 0, name + ": finite gradient"));
        }
    }

    // ---------------------------------------------------------------- finite differences

    static Stream<Arguments> gradientChecks() {
        return Stream.of(
            Arguments.of(Longformer.Config.of(2), false, 9, 0),                        // several chunks, ragged (9 = 4·2 + 1)
            Arguments.of(Longformer.Config.of(2), true, 7, 2),
            Arguments.of(Longformer.Config.of(2).withDilation(2), false, 11, 3),
            Arguments.of(Longformer.Config.classifier(2), false, 10, 3),              // separate Q_g, K_g, V_g
            Arguments.of(Longformer.Config.of(1).withGlobal(0, 4).withDilation(2), true, 9, 0),
            Arguments.of(shared(3, 1, 2), false, 8, 2));
    }

    @ParameterizedTest(name = "{0} causal={1} T={2} padded={3}")
    @MethodSource("gradientChecks")
    void gradientsMatchFiniteDifferences(Longformer.Config c, boolean causal, int n, int padded) {
        Attention a = c.build(new AttentionDims(D, H, n, causal));
        ParamStore p = params(a, 12);
        INDArray pad = padding(n, padded);
        GradientCheck.Result r = new GradientCheck(1e-6, 1e-5, 1e-8, 6).check(p, TestData.normal(13, DataType.DOUBLE, B, n, D), new GradientCheck.Fn() {
            @Override public <T> T apply(Ops<T> ops, T x) {
                return a.apply(ops, "a.", x, pad == null ? null : ops.constant(pad));
            }
        }, 14);
        assertTrue(r.passed(), r.toString());
        assertTrue(r.checked() >= 54, "enough elements checked: " + r);
    }

    @Test
    void oneSequenceWithOneGlobalTokenAndNoPaddingHasCorrectGradients() {
        // B·G = 1 once broke SameDiff's backward (a bias gradient reduced over a single row); the benchmark's setting
        Attention a = Longformer.Config.classifier(2).build(new AttentionDims(D, H, 7, false));
        ParamStore p = params(a, 30);
        GradientCheck.Result r = new GradientCheck(1e-6, 1e-5, 1e-8, 6).check(p, TestData.normal(31, DataType.DOUBLE, 1, 7, D), new GradientCheck.Fn() {
            @Override public <T> T apply(Ops<T> ops, T x) {
                return a.apply(ops, "a.", x, null);
            }
        }, 32);
        assertTrue(r.passed(), r.toString());
    }

    // ---------------------------------------------------------------- no (T × T) anywhere

    @ParameterizedTest(name = "graph={0}")
    @MethodSource("bools")
    void noIntermediateGrowsWithTheSquareOfTheLength(boolean graph) {
        int n = 512, w = 8;
        Longformer.Config c = Longformer.Config.of(w).withGlobal(0, 100).withDilation(2);
        Attention a = c.build(new AttentionDims(D, H, n, false));
        ParamStore p = new ParamStore(DataType.FLOAT, 15);
        a.declare(p, "a.");
        INDArray x = TestData.normal(16, DataType.FLOAT, 1, n, D), pad = Nd4j.ones(DataType.FLOAT, 1, n);
        long largest;
        if (graph) {
            SdOps g = new SdOps(SameDiff.create(), p, DataType.FLOAT, false);
            ShapeSpy<SDVariable> spy = new ShapeSpy<>(g);
            a.apply(spy, "a.", g.placeholder("x", DataType.FLOAT, 1, n, D), g.constant(pad));
            largest = spy.largest;
        } else {
            ShapeSpy<INDArray> spy = new ShapeSpy<>(NdOps.of(p, DataType.FLOAT));
            a.apply(spy, "a.", x, spy.constant(pad));
            largest = spy.largest;
        }
        // scores: B·H·T·(3w + G) = 2·512·26; a (T × T) matrix per head would be 2·512·512
        assertTrue(largest <= (long) H * n * (3 * w + 2), "largest intermediate has " + largest + " elements");
        assertTrue(largest >= (long) H * n * 3 * w, "the spy saw the score blocks (" + largest + ")");
    }

    // ---------------------------------------------------------------- the pattern and the config

    @Test
    void patternCountsGrowLinearlyAndMatchThePaper() {
        Longformer.Config c = Longformer.Config.of(3).withDilation(2).withGlobal(0);
        boolean[][] m = c.matrix(20, false);
        assertTrue(m[10][4] && m[10][16] && !m[10][5] && !m[10][3] && !m[10][17], "dilated window: 10 ± 2t, |t| ≤ 3");
        assertTrue(m[0][19] && m[19][0] && m[7][0], "global row and column");
        assertTrue(new boolean[][] {c.matrix(20, true)[10]}[0][4] && !c.matrix(20, true)[10][12], "causal: only the past half");
        long inner = Longformer.Config.of(4).allowedPairs(1000, false) - Longformer.Config.of(4).allowedPairs(500, false);
        assertEquals(500L * 9, inner, "(2w + 1) keys per query away from the ends");
    }

    @Test
    void configRoundTripsThroughTheCodecAndComparesByValue() {
        Longformer.Config c = Longformer.Config.of(64).withDilation(2).withGlobal(5, 0, 3);
        assertArrayEquals(new int[] {0, 3, 5}, c.global(), "global positions are stored sorted");
        assertEquals(c, ConfigCodec.decode(ConfigCodec.encode(c, AttentionConfig.class), AttentionConfig.class));
        AttentionConfig dense = new DenseMaskAttention.Config(c);
        assertEquals(dense, ConfigCodec.decode(ConfigCodec.encodeLine((Record) dense), DenseMaskAttention.Config.class));
        assertEquals(c.hashCode(), Longformer.Config.of(64).withDilation(2).withGlobal(0, 3, 5).hashCode());
        int[] outside = c.global();
        outside[0] = 99;
        assertArrayEquals(new int[] {0, 3, 5}, c.global(), "the record's array cannot be changed from outside");
    }

    @Test
    void badSettingsAreRejectedWithMessagesNamingThem() {
        assertEquals("window = 0: expected at least 1 key on each side of the query (the paper's window size is 2w)",
            assertThrows(IllegalArgumentException.class, () -> Longformer.Config.of(0)).getMessage());
        assertEquals("window = -3: expected at least 1 key on each side of the query (the paper's window size is 2w)",
            assertThrows(IllegalArgumentException.class, () -> Longformer.Config.of(-3)).getMessage());
        assertEquals("dilation = 0: expected at least 1 (1 = no gaps inside the window)",
            assertThrows(IllegalArgumentException.class, () -> Longformer.Config.of(2).withDilation(0)).getMessage());
        assertEquals("global = [-1, 2]: expected positions ≥ 0",
            assertThrows(IllegalArgumentException.class, () -> Longformer.Config.of(2).withGlobal(2, -1)).getMessage());
        assertEquals("global = [1, 3, 3]: expected distinct positions",
            assertThrows(IllegalArgumentException.class, () -> Longformer.Config.of(2).withGlobal(3, 1, 3)).getMessage());
        assertEquals("global = null: expected an array of global positions (empty for none)",
            assertThrows(IllegalArgumentException.class, () -> new Longformer.Config(2, 1, null, Longformer.GlobalProjections.SHARED)).getMessage());
        AttentionDims dims = new AttentionDims(D, H, 16, false);
        assertEquals("window = 17: expected at most maxLen = 16 (a window wider than the sequence)",
            assertThrows(IllegalArgumentException.class, () -> Longformer.Config.of(17).build(dims)).getMessage());
        assertEquals("global = [0, 16]: expected positions below maxLen = 16",
            assertThrows(IllegalArgumentException.class, () -> Longformer.Config.of(4).withGlobal(0, 16).build(dims)).getMessage());
        Attention a = Longformer.Config.of(4).withGlobal(0, 12).build(dims);
        ParamStore p = new ParamStore(DataType.FLOAT, 1);
        a.declare(p, "a.");
        assertEquals("global = [0, 12]: expected positions below the sequence length 10",
            assertThrows(IllegalArgumentException.class, () -> a.forward(p, "a.", Nd4j.zeros(DataType.FLOAT, 1, 10, D), null)).getMessage());
    }

    @Test
    void shorterSequencesThanTheWindowWork() {
        AttentionDims dims = new AttentionDims(D, H, 32, false);
        Attention lf = shared(16, 1).build(dims);
        ParamStore p = params(lf, 17);
        INDArray x = TestData.normal(18, DataType.DOUBLE, B, 6, D);
        double diff = diff(lf.forward(p, "a.", x, null), new StandardAttention.Config().build(dims).forward(p, "a.", x, null));
        assertTrue(diff < 1e-10, "6 tokens, w = 16: differs from standard attention by " + diff);
    }
}
