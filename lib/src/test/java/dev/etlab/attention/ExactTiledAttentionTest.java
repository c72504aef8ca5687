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
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Exact tiled attention equals standard attention, forward and backward, without ever holding a (T × T) array. */
class ExactTiledAttentionTest {
    static final int B = 2, T = 19, D = 8, H = 2;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    /** Standard and tiled layers sharing one parameter store (same projections). */
    record Pair(Attention standard, Attention tiled, ParamStore params) {}

    static Pair pair(boolean causal, int bq, int bk, DataType type) {
        AttentionDims dims = new AttentionDims(D, H, 64, causal);
        Attention standard = new StandardAttention.Config().build(dims);
        Attention tiled = new ExactTiledAttention.Config(bq, bk).build(dims);
        ParamStore p = new ParamStore(type, 3);
        standard.declare(p, "attn.");
        return new Pair(standard, tiled, p);
    }

    static INDArray padding(int realInItem0, int realInItem1) {
        INDArray pad = Nd4j.ones(DataType.DOUBLE, B, T);
        pad.get(NDArrayIndex.point(0), NDArrayIndex.interval(realInItem0, T)).assign(0);
        pad.get(NDArrayIndex.point(1), NDArrayIndex.interval(realInItem1, T)).assign(0);
        return pad;
    }

    // Tiles that do not divide T (19 = 4·4 + 3), square and oblong, one tile bigger than T, one key per tile.
    @ParameterizedTest(name = "causal={0} tiles {1}x{2} padded={3}")
    @CsvSource({"false,4,4,false", "true,4,4,false", "false,5,3,true", "true,5,3,true", "true,3,7,true", "false,32,32,false",
        "true,1,1,false", "true,8,2,true"})
    void forwardEqualsStandardAttention(boolean causal, int bq, int bk, boolean padded) {
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            Pair p = pair(causal, bq, bk, type);
            INDArray x = TestData.normal(4, type, B, T, D);
            INDArray pad = padded ? padding(13, T).castTo(type) : null;
            INDArray expected = p.standard().forward(p.params(), "attn.", x, pad);
            INDArray actual = p.tiled().forward(p.params(), "attn.", x, pad);
            double tolerance = type == DataType.DOUBLE ? 1e-10 : 1e-5;
            double diff = TestData.maxAbsDiff(expected, actual);
            assertTrue(diff < tolerance, type + ": tiled differs from standard by " + diff);
        }
    }

    @ParameterizedTest(name = "causal={0} tiles {1}x{2} padded={3}")
    @CsvSource({"false,4,4,false", "true,4,4,false", "false,5,3,true", "true,5,3,true", "true,7,2,true"})
    void gradientsOnTheTapeEqualStandardAttention(boolean causal, int bq, int bk, boolean padded) {
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            Pair p = pair(causal, bq, bk, type);
            INDArray x = TestData.normal(5, type, B, T, D);
            INDArray r = TestData.normal(6, type, B, T, D);
            INDArray pad = padded ? padding(11, 17).castTo(type) : null;
            Map<String, INDArray> expected = tapeGradients(p.standard(), p.params(), x, r, pad, type);
            Map<String, INDArray> actual = tapeGradients(p.tiled(), p.params(), x, r, pad, type);
            double tolerance = type == DataType.DOUBLE ? 1e-10 : 1e-5;
            assertEquals(expected.keySet(), actual.keySet());
            for (String name : expected.keySet()) {
                double diff = TestData.maxAbsDiff(expected.get(name), actual.get(name));
                assertTrue(diff < tolerance, type + " " + name + ": tiled gradient differs from standard by " + diff);
            }
        }
    }

    /** Gradients of Σ out ⊙ r with respect to every parameter and to x ("x"). */
    static Map<String, INDArray> tapeGradients(Attention a, ParamStore params, INDArray x, INDArray r, INDArray pad, DataType type) {
        TapeOps tape = TapeOps.of(params, type);
        Var xv = tape.leaf(x);
        Var out = a.apply(tape, "attn.", xv, pad == null ? null : tape.constant(pad));
        tape.backward(tape.sum(tape.mul(out, tape.constant(r)), false));
        Map<String, INDArray> grads = new java.util.TreeMap<>(tape.paramGradients());
        grads.put("x", xv.grad());
        return grads;
    }

    @ParameterizedTest(name = "causal={0}")
    @CsvSource({"false", "true"})
    void gradientCheckWithPaddingOnBothEngines(boolean causal) {
        AttentionDims dims = new AttentionDims(D, H, 16, causal);
        Attention tiled = new ExactTiledAttention.Config(3, 4).build(dims);
        ParamStore p = new ParamStore(DataType.DOUBLE, 7);
        tiled.declare(p, "attn.");
        INDArray pad = Nd4j.ones(DataType.DOUBLE, 2, 10);
        pad.get(NDArrayIndex.point(1), NDArrayIndex.interval(6, 10)).assign(0);
        GradientCheck.Result r = new GradientCheck().check(p, TestData.normal(8, DataType.DOUBLE, 2, 10, D), new GradientCheck.Fn() {
            @Override
            public <T> T apply(Ops<T> ops, T in) {
                return tiled.apply(ops, "attn.", in, ops.constant(pad));
            }
        }, 9);
        assertTrue(r.passed(), r.toString());
        assertTrue(r.checked() > 100, "enough elements checked: " + r);
    }

    /**
     * The fused kernel against its twin made of ND4J calls: forward, and every gradient on the tape, causal or not,
     * padded (item 1 keeps one key), tiles that do not divide T, one tile bigger than T. The layer refuses an item whose
     * keys are all padding, so rows with no visible key are compared on the kernels directly.
     */
    @ParameterizedTest(name = "causal={0} tiles {1}x{2} padded={3} T={4}")
    @CsvSource({"false,4,4,false,19", "true,4,4,false,19", "false,5,3,true,19", "true,5,3,true,19", "true,7,2,true,19",
        "false,32,32,true,19", "true,32,16,true,19", "true,1,1,true,6", "false,8,8,false,8"})
    void fusedKernelEqualsItsTwin(boolean causal, int bq, int bk, boolean padded, int t) {
        for (boolean ndExp : new boolean[] {false, true}) fusedKernelEqualsItsTwin(causal, bq, bk, padded, t, ndExp, false);
    }

    /** The Vector API kernel (VectorTiles) against the same twin, in the same cases. */
    @ParameterizedTest(name = "causal={0} tiles {1}x{2} padded={3} T={4}")
    @CsvSource({"false,4,4,false,19", "true,4,4,false,19", "false,5,3,true,19", "true,5,3,true,19", "true,7,2,true,19",
        "false,32,32,true,19", "true,32,16,true,19", "true,1,1,true,6", "false,8,8,false,8", "true,256,256,true,40"})
    void vectorKernelEqualsTheTwin(boolean causal, int bq, int bk, boolean padded, int t) {
        assertTrue(dev.etlab.Simd.enabled(), "the test JVM must load jdk.incubator.vector, or this test would test nothing");
        fusedKernelEqualsItsTwin(causal, bq, bk, padded, t, true, true);
    }

    /**
     * ndExp: float32 tiles exponentiated in place by ND4J (FusedTiles.ND_EXP_PROPERTY), or by the scalar Java loop;
     * simd: float32 on the Vector API kernel instead (VectorTiles; float64 then runs FusedTiles).
     */
    void fusedKernelEqualsItsTwin(boolean causal, int bq, int bk, boolean padded, int t, boolean ndExp, boolean simd) {
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            AttentionDims dims = new AttentionDims(D, H, 64, causal);
            ExactTiledAttention fused = new ExactTiledAttention(new ExactTiledAttention.Config(bq, bk), dims, true, ndExp, simd);
            ExactTiledAttention twin = new ExactTiledAttention(new ExactTiledAttention.Config(bq, bk), dims, false);
            ParamStore p = new ParamStore(type, 3);
            fused.declare(p, "attn.");
            INDArray x = TestData.normal(5, type, B, t, D), r = TestData.normal(6, type, B, t, D);
            INDArray pad = null;
            if (padded) {
                pad = Nd4j.ones(type, B, t);
                pad.get(NDArrayIndex.point(0), NDArrayIndex.interval(t / 2, t)).assign(0);
                pad.get(NDArrayIndex.point(1), NDArrayIndex.interval(1, t)).assign(0);
            }
            double tolerance = type == DataType.DOUBLE ? 1e-10 : 1e-5;
            double diff = TestData.maxAbsDiff(twin.forward(p, "attn.", x, pad), fused.forward(p, "attn.", x, pad));
            assertTrue(diff < tolerance, type + " ndExp=" + ndExp + " simd=" + simd + ": fused forward differs from its twin by " + diff);
            Map<String, INDArray> expected = tapeGradients(twin, p, x, r, pad, type), actual = tapeGradients(fused, p, x, r, pad, type);
            assertEquals(expected.keySet(), actual.keySet());
            for (String name : expected.keySet()) {
                double d = TestData.maxAbsDiff(expected.get(name), actual.get(name));
                assertTrue(d < tolerance, type + " ndExp=" + ndExp + " simd=" + simd + " " + name + ": fused gradient differs from its twin by " + d);
            }
            if (padded) fullyMaskedRowsAsInTheTwin(causal, bq, bk, t, type, tolerance, ndExp, simd);
        }
    }

    /** Item 1's keys all masked: every one of its rows sees no key. The fused kernel must do what the twin does. */
    static void fullyMaskedRowsAsInTheTwin(boolean causal, int bq, int bk, int t, DataType type, double tolerance, boolean ndExp,
                                           boolean simd) {
        int dh = D / H;
        NdOps nd = NdOps.of(name -> null, type);
        INDArray keys = Nd4j.ones(type, B, t);
        keys.get(NDArrayIndex.point(1), NDArrayIndex.all()).assign(0);
        INDArray pad = Masks.paddingBias(nd, keys);
        INDArray q = TestData.normal(1, type, B, H, t, dh), k = TestData.normal(2, type, B, H, t, dh);
        INDArray v = TestData.normal(3, type, B, H, t, dh), dOut = TestData.normal(4, type, B, H, t, dh);
        ExactTiledAttention.TileKernel twin = new ExactTiledAttention.Tiles(nd, bq, bk, causal), fused = simd ? new VectorTiles(nd, bq, bk, causal) : new FusedTiles(nd, bq, bk, causal, ndExp);
        INDArray[] a = twin.forward(q, k, v, pad, 0.5), b = fused.forward(q, k, v, pad, 0.5);
        INDArray[] ga = twin.backward(q, k, v, pad, 0.5, a[0], a[1], dOut), gb = fused.backward(q, k, v, pad, 0.5, b[0], b[1], dOut);
        String[] names = {"O", "dQ", "dK", "dV"};
        INDArray[] x = {a[0], ga[0], ga[1], ga[2]}, y = {b[0], gb[0], gb[1], gb[2]};
        for (int i = 0; i < x.length; i++) {
            double d = TestData.maxAbsDiff(x[i], y[i]);
            assertTrue(d < tolerance, type + " ndExp=" + ndExp + " simd=" + simd + " fully masked rows, " + names[i] + ": fused differs from its twin by " + d);
        }
    }

    /**
     * The spy sees every array the kernel makes, forward and backward: none is anywhere near (T × T). The fused
     * kernel makes its tile buffers through the spy too, and counts its own Java working arrays.
     */
    @ParameterizedTest(name = "causal={0} fused={1} ndExp={2}")
    @CsvSource({"false,false,false", "true,false,false", "false,true,false", "true,true,false", "false,true,true", "true,true,true"})
    void noIntermediateGrowsWithTheSquareOfTheLength(boolean causal, boolean fused, boolean ndExp) {
        int t = 96, bq = 8, bk = 8, dh = D / H;
        ShapeSpy<INDArray> spy = new ShapeSpy<>(NdOps.of(name -> null, DataType.FLOAT));
        ExactTiledAttention.TileKernel tiles = fused ? new FusedTiles(spy, bq, bk, causal, ndExp) : new ExactTiledAttention.Tiles(spy, bq, bk, causal);
        INDArray q = TestData.normal(1, DataType.FLOAT, B, H, t, dh), k = TestData.normal(2, DataType.FLOAT, B, H, t, dh);
        INDArray v = TestData.normal(3, DataType.FLOAT, B, H, t, dh), dOut = TestData.normal(4, DataType.FLOAT, B, H, t, dh);
        INDArray pad = Masks.paddingBias(NdOps.of(name -> null, DataType.FLOAT), Nd4j.ones(DataType.FLOAT, B, t));
        INDArray[] outLse = tiles.forward(q, k, v, pad, 0.5);
        long forwardLargest = spy.largest;
        tiles.backward(q, k, v, pad, 0.5, outLse[0], outLse[1], dOut);
        long linear = (long) B * H * t * dh;                 // one input, output or gradient
        long square = (long) B * H * t * t;
        assertTrue(forwardLargest <= linear, "forward: largest array " + forwardLargest + " elements, inputs have " + linear);
        assertTrue(spy.largest <= linear, "backward: largest array " + spy.largest + " elements, inputs have " + linear);
        assertTrue(spy.largest * 8 <= square, "and far below the " + square + " of a (T x T) score matrix");
        // the spy does see the tiles (a spy that saw nothing would pass vacuously)
        assertTrue(spy.largest >= (long) B * H * bq * bk, "largest " + spy.largest);
        if (tiles instanceof FusedTiles f) {
            assertTrue(f.largestJavaArray <= linear, "largest Java array " + f.largestJavaArray + " elements, inputs have " + linear);
            // with the Java exp a tile is copied into Java and counted; with ndExp no tile-sized Java array exists
            if (!ndExp) assertTrue(f.largestJavaArray >= (long) B * H * bq * bk, "the Java tile is counted: " + f.largestJavaArray);
        }
    }

    /**
     * The Vector API kernel on the kernels' own (B, H, T, Dh) arrays against the ND4J twin, forward and backward, with a
     * head of exactly one vector (Dh = lanes) and of two (the kernel's row paths), of a quarter of one and of one and a
     * half (the dot-product path).
     */
    @ParameterizedTest(name = "causal={0} padded={1} T={2} S={3} head=lanes×{4}/{5}")
    @CsvSource({"false,false,37,37,1,1", "true,false,37,37,1,1", "false,true,37,37,1,1", "true,true,37,37,1,1",
        "true,true,300,300,1,1", "false,false,5,9,1,1", "true,true,37,37,1,4", "false,true,300,300,1,4",
        "false,false,37,37,2,1", "true,true,37,37,2,1", "true,true,300,300,2,1", "false,false,5,9,2,1", "true,false,300,300,3,2"})
    void vectorKernelEqualsTheTwinOnEveryHeadSize(boolean causal, boolean padded, int t, int s, int multiple, int fraction) {
        int dh = Math.max(1, VectorTiles.lanes() * multiple / fraction);
        NdOps nd = NdOps.of(name -> null, DataType.FLOAT);
        INDArray q = TestData.normal(11, DataType.FLOAT, B, H, t, dh), k = TestData.normal(12, DataType.FLOAT, B, H, s, dh);
        INDArray v = TestData.normal(13, DataType.FLOAT, B, H, s, dh), dOut = TestData.normal(14, DataType.FLOAT, B, H, t, dh);
        INDArray pad = null;
        if (padded) {
            INDArray keys = Nd4j.ones(DataType.FLOAT, B, s);
            keys.get(NDArrayIndex.point(1), NDArrayIndex.interval(s / 3, s)).assign(0);
            pad = Masks.paddingBias(nd, keys);
        }
        double scale = 1 / Math.sqrt(dh);
        ExactTiledAttention.TileKernel twin = new ExactTiledAttention.Tiles(nd, 64, 64, causal), vector = new VectorTiles(nd, 64, 64, causal);
        INDArray[] a = twin.forward(q, k, v, pad, scale), b = vector.forward(q, k, v, pad, scale);
        INDArray[] ga = twin.backward(q, k, v, pad, scale, a[0], a[1], dOut), gb = vector.backward(q, k, v, pad, scale, b[0], b[1], dOut);
        String[] names = {"O", "L", "dQ", "dK", "dV"};
        INDArray[] x = {a[0], a[1], ga[0], ga[1], ga[2]}, y = {b[0], b[1], gb[0], gb[1], gb[2]};
        for (int i = 0; i < x.length; i++) {
            double d = TestData.maxAbsDiff(x[i], y[i]);
            assertTrue(d < 2e-5, "Dh=" + dh + " " + names[i] + ": the vector kernel differs from the twin by " + d);
        }
    }

    /**
     * The same bits from the first call (Vector API code still interpreted) to the three-thousandth (compiled by
     * C2): training is deterministic only if the JIT's progress cannot change a result. Every head-size path, masks.
     */
    @ParameterizedTest(name = "head=lanes×{0}/{1}")
    @CsvSource({"1,1", "2,1", "1,4"})
    void vectorKernelGivesTheSameBitsInEveryJitTier(int multiple, int fraction) {
        int t = 21, dh = Math.max(1, VectorTiles.lanes() * multiple / fraction);
        NdOps nd = NdOps.of(name -> null, DataType.FLOAT);
        INDArray q = TestData.normal(21, DataType.FLOAT, B, H, t, dh), k = TestData.normal(22, DataType.FLOAT, B, H, t, dh);
        INDArray v = TestData.normal(23, DataType.FLOAT, B, H, t, dh), dOut = TestData.normal(24, DataType.FLOAT, B, H, t, dh);
        INDArray keys = Nd4j.ones(DataType.FLOAT, B, t);
        keys.get(NDArrayIndex.point(1), NDArrayIndex.interval(15, t)).assign(0);
        INDArray pad = Masks.paddingBias(nd, keys);
        INDArray[] first = null;
        for (int call = 0; call < 3000; call++) {
            VectorTiles tiles = new VectorTiles(nd, 8, 8, call % 2 == 0);
            INDArray[] f = tiles.forward(q, k, v, pad, 0.25);
            INDArray[] g = tiles.backward(q, k, v, pad, 0.25, f[0], f[1], dOut);
            INDArray[] now = {f[0], f[1], g[0], g[1], g[2]};
            if (call < 2) {
                if (call == 0) first = now;
                continue;
            }
            INDArray[] expected = call % 2 == 0 ? first : null;
            if (expected == null) continue;
            for (int i = 0; i < now.length; i++) assertTrue(sameBits(expected[i], now[i]), "call " + call + ", result " + i + " changed");
        }
    }

    /** Bit for bit (INDArray.equals allows a difference of 1e-5). */
    static boolean sameBits(INDArray a, INDArray b) {
        return java.util.Arrays.equals(a.shape(), b.shape()) && java.util.Arrays.equals(a.dup('c').data().asFloat(), b.dup('c').data().asFloat());
    }

    /** The Vector API kernel makes no ND4J array but its results, and no Java array larger than an input. */
    @ParameterizedTest(name = "causal={0}")
    @CsvSource({"false", "true"})
    void vectorKernelHoldsNothingOfTheSquareOfTheLength(boolean causal) {
        int t = 96, dh = D / H;
        ShapeSpy<INDArray> spy = new ShapeSpy<>(NdOps.of(name -> null, DataType.FLOAT));
        VectorTiles tiles = new VectorTiles(spy, 8, 8, causal);
        INDArray q = TestData.normal(1, DataType.FLOAT, B, H, t, dh), k = TestData.normal(2, DataType.FLOAT, B, H, t, dh);
        INDArray v = TestData.normal(3, DataType.FLOAT, B, H, t, dh), dOut = TestData.normal(4, DataType.FLOAT, B, H, t, dh);
        INDArray[] outLse = tiles.forward(q, k, v, null, 0.5);
        tiles.backward(q, k, v, null, 0.5, outLse[0], outLse[1], dOut);
        long linear = (long) B * H * t * dh, square = (long) B * H * t * t;
        assertTrue(spy.largest <= linear, "largest ND4J array " + spy.largest + " elements, inputs have " + linear);
        assertEquals(linear, spy.largest, "the spy sees the results (a spy that saw nothing would pass vacuously)");
        assertTrue(tiles.largestJavaArray <= linear, "largest Java array " + tiles.largestJavaArray + ", inputs have " + linear);
        assertTrue(tiles.largestJavaArray * 8 <= square, "far below the " + square + " of a (T x T) score matrix");
    }

    /** Heads spread over the cores give the same bits as one thread (each head is computed the same way). */
    @Test
    void vectorKernelOnManyThreadsEqualsOneThreadBitForBit() {
        int t = 300, dh = 16;                                                                    // B·H·T² ≥ 2¹⁷: the parallel path
        NdOps nd = NdOps.of(name -> null, DataType.FLOAT);
        INDArray q = TestData.normal(1, DataType.FLOAT, B, H, t, dh), k = TestData.normal(2, DataType.FLOAT, B, H, t, dh);
        INDArray v = TestData.normal(3, DataType.FLOAT, B, H, t, dh), dOut = TestData.normal(4, DataType.FLOAT, B, H, t, dh);
        INDArray[][] results = new INDArray[2][];
        for (int run = 0; run < 2; run++) {
            System.setProperty(VectorTiles.PARALLEL_PROPERTY, String.valueOf(run == 0));
            try {
                VectorTiles tiles = new VectorTiles(nd, 64, 64, true);
                INDArray[] f = tiles.forward(q, k, v, null, 0.25);
                INDArray[] g = tiles.backward(q, k, v, null, 0.25, f[0], f[1], dOut);
                results[run] = new INDArray[] {f[0], f[1], g[0], g[1], g[2]};
            } finally {
                System.clearProperty(VectorTiles.PARALLEL_PROPERTY);
            }
        }
        for (int i = 0; i < 5; i++) assertTrue(sameBits(results[1][i], results[0][i]), "result " + i + " differs between 1 and many threads");
    }

    /** In a JVM with the Vector API loaded (tests are run so), the layer's float32 kernel is the Vector API one. */
    @Test
    void theDefaultKernelIsTheVectorOneWhenTheModuleIsLoaded() {
        assertTrue(dev.etlab.Simd.enabled(), "surefire must start the JVM with --add-modules=jdk.incubator.vector");
        ExactTiledAttention layer = (ExactTiledAttention) new ExactTiledAttention.Config().build(new AttentionDims(D, H, 64, false));
        assertTrue(layer.kernel(NdOps.of(name -> null, DataType.FLOAT)) instanceof VectorTiles);
        System.setProperty(dev.etlab.Simd.PROPERTY, "false");
        try {
            ExactTiledAttention off = (ExactTiledAttention) new ExactTiledAttention.Config().build(new AttentionDims(D, H, 64, false));
            assertTrue(off.kernel(NdOps.of(name -> null, DataType.FLOAT)) instanceof FusedTiles, "-Detlab.simd=false: the plain kernel");
        } finally {
            System.clearProperty(dev.etlab.Simd.PROPERTY);
        }
    }

    /** The trainer runs steps inside an ND4J workspace (several, to see it reused): the fused kernel reads and writes its tiles there too. */
    @ParameterizedTest(name = "ndExp={0} simd={1}")
    @CsvSource({"false,false", "true,false", "true,true"})
    void fusedKernelInsideAStepWorkspaceEqualsItsTwinOutside(boolean ndExp, boolean simd) {
        AttentionDims dims = new AttentionDims(D, H, 64, true);
        ExactTiledAttention fused = new ExactTiledAttention(new ExactTiledAttention.Config(5, 3), dims, true, ndExp, simd);
        ExactTiledAttention twin = new ExactTiledAttention(new ExactTiledAttention.Config(5, 3), dims, false);
        ParamStore p = new ParamStore(DataType.FLOAT, 3);
        fused.declare(p, "attn.");
        INDArray x = TestData.normal(5, DataType.FLOAT, B, T, D), r = TestData.normal(6, DataType.FLOAT, B, T, D);
        INDArray pad = padding(11, 17).castTo(DataType.FLOAT);
        Map<String, INDArray> expected = tapeGradients(twin, p, x, r, pad, DataType.FLOAT);
        for (int step = 0; step < 3; step++) {
            double worst = dev.etlab.tensor.StepMemory.run("etlab-test-step", () -> {
                Map<String, INDArray> actual = tapeGradients(fused, p, x, r, pad, DataType.FLOAT);
                double d = 0;
                for (String name : expected.keySet()) d = Math.max(d, TestData.maxAbsDiff(expected.get(name), actual.get(name)));
                return d;
            });
            assertTrue(worst < 1e-5, "step " + step + ": fused gradients in a workspace differ from the twin's by " + worst);
        }
    }

    @Test
    void theFusedKernelsExpIsWithinAFewUlpOfMathExp() {
        double worst = 0;
        for (float x = -87f; x <= 1f; x += 0.000731f) worst = Math.max(worst, Math.abs(FusedTiles.expf(x) / Math.exp(x) - 1));
        assertTrue(worst < 3e-7, "largest relative error " + worst);
        assertEquals(0f, FusedTiles.expf((float) Masks.NEG));
        assertEquals(1f, FusedTiles.expf(0f));
    }

    @Test
    void badBlockSizesAreRejectedWithAMessageNamingThem() {
        var q = assertThrows(IllegalArgumentException.class, () -> new ExactTiledAttention.Config(0, 4));
        assertEquals("queryBlock = 0: expected a positive number of queries per tile", q.getMessage());
        var k = assertThrows(IllegalArgumentException.class, () -> new ExactTiledAttention.Config(4, -2));
        assertEquals("keyBlock = -2: expected a positive number of keys per tile", k.getMessage());
    }

    @Test
    void registeredWithDefaultTilesOf256() {
        AttentionConfig c = AttentionRegistry.get("exact-tiled").defaults();
        assertEquals(new ExactTiledAttention.Config(256, 256), c);
    }
}
