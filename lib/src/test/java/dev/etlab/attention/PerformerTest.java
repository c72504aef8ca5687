package dev.etlab.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.GradientCheck;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class PerformerTest {
    static final int D = 32, H = 2, T = 24;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    /**
     * Relative Frobenius error of the Performer's output against exact softmax attention with the same
     * projections. Inputs are scaled by 0.3: the estimator's variance grows like exp(|q + k|²/√d), so with
     * unit-variance inputs (|q|²/√d ≈ 4 here) single kernel values are off by tens of times — a
     * property of FAVOR+, shown in notebook 07, not something a test of the implementation should hit.
     */
    static double relativeError(Performer.Config c, boolean causal, long seed) {
        AttentionDims dims = new AttentionDims(D, H, T, causal);
        Attention exact = new StandardAttention.Config().build(dims);
        Attention approx = c.build(dims);
        ParamStore p = new ParamStore(DataType.DOUBLE, 7);   // same projections for every run
        exact.declare(p, "a.");
        ParamStore q = new ParamStore(DataType.DOUBLE, 7);
        approx.declare(q, "a.");                             // same draw order: identical projections, plus ω
        ((Performer) approx).redraw(q, "a.", seed);          // features from this seed
        INDArray x = TestData.normal(8, DataType.DOUBLE, 2, T, D).mul(0.3);
        INDArray y = exact.forward(p, "a.", x, null), z = approx.forward(q, "a.", x, null);
        return z.sub(y).norm2Number().doubleValue() / y.norm2Number().doubleValue();
    }

    static double meanError(Performer.Config c, boolean causal) {
        double sum = 0;
        for (int s = 0; s < 10; s++) sum += relativeError(c, causal, 100 + s);
        return sum / 10;
    }

    @Test
    void errorAgainstExactSoftmaxAttentionFallsAsFeaturesGrow() {
        for (boolean causal : new boolean[] {false, true}) {
            double e16 = meanError(Performer.Config.favor(16), causal);
            double e128 = meanError(Performer.Config.favor(128), causal);
            double e1024 = meanError(Performer.Config.favor(1024), causal);
            assertTrue(e16 > e128 && e128 > e1024, "causal=" + causal + ": errors " + e16 + ", " + e128 + ", " + e1024);
            assertTrue(e1024 < 0.08, "with 1024 features within 8 % of softmax attention (causal=" + causal + "): " + e1024);
        }
    }

    @Test
    void orthogonalFeaturesBeatIidFeatures() {
        double ortho = meanError(Performer.Config.favor(32), false);
        double iid = meanError(Performer.Config.favor(32).withOrthogonal(false), false);
        assertTrue(ortho < iid, "orthogonal " + ortho + " vs i.i.d. " + iid);
    }

    /** The same causal attention computed the slow way: the full masked (T, T) matrix φ(Q)φ(K)ᵀ. */
    static INDArray causalQuadratic(INDArray qf, INDArray kf, INDArray v) {
        NdOps ops = NdOps.of(n -> null, DataType.DOUBLE);
        INDArray a = Nd4j.matmul(qf, kf, false, true, false);                       // (B, H, T, T)
        a = ops.mul(a, Chunks.lowerTriangle(qf.size(2), DataType.DOUBLE));         // keys j ≤ query i
        return ops.div(Nd4j.matmul(a, v), a.sum(true, 3));
    }

    @Test
    void causalChunkedPrefixSumsEqualTheQuadraticComputation() {
        for (int chunk : new int[] {1, 4, 5, 24, 64}) { // several chunks, a ragged last chunk, one chunk, larger than T
            Performer p = (Performer) Performer.Config.favor(16).withChunkSize(chunk).build(new AttentionDims(D, H, T, true));
            NdOps ops = NdOps.of(n -> null, DataType.DOUBLE);
            INDArray q = TestData.normal(1, DataType.DOUBLE, 2, H, T, D / H), k = TestData.normal(2, DataType.DOUBLE, 2, H, T, D / H);
            INDArray v = TestData.normal(3, DataType.DOUBLE, 2, H, T, D / H);
            INDArray omega = p.draw(new Random(4));
            INDArray qf = p.features(ops, q, omega, true), kf = p.features(ops, k, omega, false);
            double diff = TestData.maxAbsDiff(p.causal(ops, qf, kf, v), causalQuadratic(qf, kf, v));
            assertTrue(diff < 1e-12, "chunk " + chunk + ": chunked and quadratic differ by " + diff);
        }
    }

    /** Chunking is exact: any chunk size (ragged, padded inside) gives the single-chunk result, eagerly and as a graph. */
    @Test
    void wholeLayerOutputDoesNotDependOnTheChunkSize() {
        AttentionDims dims = new AttentionDims(D, H, T, true);
        ParamStore p = new ParamStore(DataType.DOUBLE, 9);
        Performer.Config.favor(16).build(dims).declare(p, "a.");
        INDArray x = TestData.normal(10, DataType.DOUBLE, 2, T, D);
        INDArray whole = Performer.Config.favor(16).withChunkSize(T).build(dims).forward(p, "a.", x, null);
        for (int chunk : new int[] {1, 5, 7, 16}) {
            Attention a = Performer.Config.favor(16).withChunkSize(chunk).build(dims);
            assertTrue(TestData.maxAbsDiff(whole, a.forward(p, "a.", x, null)) < 1e-12, "eager, chunk " + chunk);
            org.nd4j.autodiff.samediff.SameDiff sd = org.nd4j.autodiff.samediff.SameDiff.create();
            dev.etlab.tensor.SdOps g = new dev.etlab.tensor.SdOps(sd, p, DataType.DOUBLE, false);
            var out = a.apply(g, "a.", g.placeholder("x", DataType.DOUBLE, 2, T, D), null);
            INDArray graph = sd.output(java.util.Map.of("x", x), out.name()).get(out.name());
            assertTrue(TestData.maxAbsDiff(whole, graph) < 1e-12, "graph, chunk " + chunk);
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesAcrossSeveralChunksAndForTheReluKernel() {
        for (Performer.Config c : new Performer.Config[] {Performer.Config.favor(8).withChunkSize(3), Performer.Config.favor(8).withKernel(Performer.Kernel.RELU)}) {
            for (boolean causal : new boolean[] {true, false}) {
                Attention a = c.build(new AttentionDims(8, 2, 10, causal));
                ParamStore p = new ParamStore(DataType.DOUBLE, 5);
                a.declare(p, "a.");
                GradientCheck.Result r = new GradientCheck().check(p, TestData.normal(6, DataType.DOUBLE, 2, 10, 8), new GradientCheck.Fn() {
                    public <T> T apply(Ops<T> ops, T x) { return a.apply(ops, "a.", x, null); }
                }, 7);
                assertTrue(r.passed(), c + " causal=" + causal + ": " + r);
            }
        }
    }

    /** (B = 2, T) key padding: batch 1's last {@code padded} tokens are padding. */
    static INDArray padding(int t, int padded) {
        INDArray pad = Nd4j.ones(DataType.FLOAT, 2, t);
        for (int j = t - padded; j < t; j++) pad.putScalar(1, j, 0.0);
        return pad;
    }

    /**
     * Asserts forward outputs and every gradient on the tape (parameters and input) agree within {@code tolerance},
     * relative to the array's largest magnitude when that is above 1: a weight's gradient sums B·T products, and its
     * float32 rounding (~1e-7 of its size) then exceeds an absolute 1e-5 (the projections' gradients reach ~10 here, wk's differed by 2e-5).
     */
    static void assertSameForwardAndGradients(Attention expected, Attention actual, ParamStore p, INDArray x, INDArray pad,
                                              double tolerance, String what) {
        INDArray r = TestData.normal(31, DataType.FLOAT, x.shape());
        double forward = TestData.maxAbsDiff(expected.forward(p, "attn.", x, pad), actual.forward(p, "attn.", x, pad));
        assertTrue(forward <= tolerance, what + " forward differs by " + forward);
        var want = ExactTiledAttentionTest.tapeGradients(expected, p, x, r, pad, DataType.FLOAT);
        var got = ExactTiledAttentionTest.tapeGradients(actual, p, x, r, pad, DataType.FLOAT);
        assertEquals(want.keySet(), got.keySet());
        for (String name : want.keySet()) {
            double diff = TestData.maxAbsDiff(want.get(name), got.get(name));
            double size = Math.max(1, want.get(name).amaxNumber().doubleValue());
            assertTrue(diff <= tolerance * size, what + " gradient of " + name + " (largest " + size + ") differs by " + diff);
        }
    }

    @ParameterizedTest(name = "m={0} D={1} H={2} T={3} padded={4}")
    @CsvSource({"64,32,2,24,false", "10,32,2,24,true", "37,16,2,40,true", "64,64,4,70,true", "16,8,1,5,false", "24,64,2,20,true"})
    void vectorKernelEqualsTheTwinForwardAndOnTheTape(int m, int d, int h, int t, boolean padded) {
        assertTrue(dev.etlab.Simd.enabled(), "the test JVM must load jdk.incubator.vector, or this test would test nothing");
        AttentionDims dims = new AttentionDims(d, h, t, false);
        Performer vector = new Performer(Performer.Config.favor(m), dims, true), twin = new Performer(Performer.Config.favor(m), dims, false);
        ParamStore p = new ParamStore(DataType.FLOAT, 21);
        vector.declare(p, "attn.");
        INDArray x = TestData.normal(22, DataType.FLOAT, 2, t, d);
        assertSameForwardAndGradients(twin, vector, p, x, padded ? padding(t, 3) : null, 1e-5, "vector kernel vs twin:");
    }

    /**
     * Heads spread over the cores give the same bits as one thread (each head is computed alone; dω is summed in head
     * order). Both layers run a few times first, so the comparison is between threads, not JIT tiers (the kernels'
     * exp, VectorMath.exp, gives the same bits in every tier; the Vector API's own EXP did not).
     */
    @Test
    void vectorKernelOnManyThreadsEqualsOneThreadBitForBit() {
        AttentionDims dims = new AttentionDims(64, 4, 300, false);
        Performer parallel = new Performer(Performer.Config.favor(64), dims, true), single;
        System.setProperty(Performer.PARALLEL_PROPERTY, "false");
        try {
            single = new Performer(Performer.Config.favor(64), dims, true);
        } finally {
            System.clearProperty(Performer.PARALLEL_PROPERTY);
        }
        ParamStore p = new ParamStore(DataType.FLOAT, 3);
        parallel.declare(p, "attn.");
        INDArray x = TestData.normal(4, DataType.FLOAT, 2, 300, 64);
        for (int warm = 0; warm < 20; warm++) {
            for (Performer layer : new Performer[] {single, parallel}) {
                ExactTiledAttentionTest.tapeGradients(layer, p, x, x, padding(300, 7), DataType.FLOAT);
            }
        }
        assertSameForwardAndGradients(single, parallel, p, x, padding(300, 7), 0.0, "many threads vs one:");
    }

    @Test
    void theVectorKernelIsTakenForBidirectionalFloat32FavorOnly() {
        assertTrue(dev.etlab.Simd.enabled(), "surefire must start the JVM with --add-modules=jdk.incubator.vector");
        ParamStore p = new ParamStore(DataType.FLOAT, 1);
        Performer byDefault = (Performer) Performer.Config.favor(8).build(new AttentionDims(D, H, T, false));
        byDefault.declare(p, "a.");
        assertTrue(byDefault.usesVectorKernel(NdOps.of(p, DataType.FLOAT)));
        assertTrue(byDefault.usesVectorKernel(dev.etlab.tensor.TapeOps.of(p, DataType.FLOAT)));
        assertTrue(!byDefault.usesVectorKernel(NdOps.of(p, DataType.DOUBLE)), "float64 takes the twin");
        Performer causal = (Performer) Performer.Config.favor(8).build(new AttentionDims(D, H, T, true));
        Performer relu = (Performer) Performer.Config.favor(8).withKernel(Performer.Kernel.RELU).build(new AttentionDims(D, H, T, false));
        assertTrue(!causal.usesVectorKernel(NdOps.of(p, DataType.FLOAT)) && !relu.usesVectorKernel(NdOps.of(p, DataType.FLOAT)));
        System.setProperty(dev.etlab.Simd.PROPERTY, "false");
        try {
            Performer off = (Performer) Performer.Config.favor(8).build(new AttentionDims(D, H, T, false));
            assertTrue(!off.usesVectorKernel(NdOps.of(p, DataType.FLOAT)), "-Detlab.simd=false takes the twin");
        } finally {
            System.clearProperty(dev.etlab.Simd.PROPERTY);
        }
    }

    @Test
    void orthogonalFeaturesAreOrthogonalWithinBlocksAndChiDistributedInLength() {
        INDArray w = RandomFeatures.orthogonal(40, 16, new Random(1)); // 2 full blocks + 8 rows
        for (int block = 0; block < 40; block += 16)
            for (int i = block; i < Math.min(block + 16, 40); i++)
                for (int j = block; j < i; j++) {
                    INDArray a = w.getRow(i), b = w.getRow(j);
                    double cos = a.mul(b).sumNumber().doubleValue() / (a.norm2Number().doubleValue() * b.norm2Number().doubleValue());
                    assertEquals(0.0, cos, 1e-12, "rows " + i + " and " + j);
                }
        double meanSq = 0;
        INDArray many = RandomFeatures.orthogonal(16 * 400, 16, new Random(2));
        for (int i = 0; i < many.rows(); i++) meanSq += Math.pow(many.getRow(i).norm2Number().doubleValue(), 2);
        assertEquals(16.0, meanSq / many.rows(), 0.3, "E|ω|² = d for χ_d lengths");
    }

    @Test
    void featuresAreRedrawnOnTheScheduleAndDeterministically() {
        Performer a = (Performer) Performer.Config.favor(8).withRedrawInterval(3).build(new AttentionDims(8, 2, 8, false));
        ParamStore p = new ParamStore(DataType.FLOAT, 1);
        a.declare(p, "a.");
        INDArray initial = p.get("a.omega").dup();
        for (int step = 1; step <= 3; step++) a.beforeTrainingStep(p, "a.", step);
        assertEquals(initial, p.get("a.omega"), "no redraw before step 4");
        a.beforeTrainingStep(p, "a.", 4);
        INDArray redrawn = p.get("a.omega").dup();
        assertTrue(!initial.equals(redrawn), "redrawn before step 4 = 1 + interval");
        ParamStore p2 = new ParamStore(DataType.FLOAT, 1);
        a.declare(p2, "a.");
        a.beforeTrainingStep(p2, "a.", 4);
        assertEquals(redrawn, p2.get("a.omega"), "same seed, layer and step: same features");
        assertTrue(!p.all().get("a.omega").trainable(), "ω is a buffer, never trained");
    }

    @Test
    void badConfigurationsAreRejectedWithAMessage() {
        assertEquals("features = 0: expected a positive number of random features m (the paper uses 256; d·ln d is common)",
            assertThrows(IllegalArgumentException.class, () -> Performer.Config.favor(0)).getMessage());
        assertEquals("chunkSize = -1: expected a positive integer",
            assertThrows(IllegalArgumentException.class, () -> Performer.Config.favor(8).withChunkSize(-1)).getMessage());
        assertEquals("redrawInterval = -2: expected 0 (never) or a positive number of steps",
            assertThrows(IllegalArgumentException.class, () -> Performer.Config.favor(8).withRedrawInterval(-2)).getMessage());
        assertEquals(44, Performer.Config.forHeadDim(16).features(), "d·ln d for d = 16");
    }
}
