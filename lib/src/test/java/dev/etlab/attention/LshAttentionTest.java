package dev.etlab.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.GradientCheck;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.EagerOnlyException;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.SdOps;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * LSH attention against two oracles: full shared-QK softmax attention in the degenerate setting
 * (one chunk, every key visible), and a direct loop over queries that hashes, sorts and chunks on
 * its own (written without ND4J ops) in the general one.
 */
class LshAttentionTest {
    static final int B = 2, D = 8, H = 2;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static LshAttention layer(LshAttention.Config c, boolean causal) {
        return (LshAttention) c.build(new AttentionDims(D, H, 64, causal));
    }

    static ParamStore params(Attention a, long seed) {
        ParamStore p = new ParamStore(DataType.DOUBLE, seed);
        a.declare(p, "attn.");
        return p;
    }

    /** Full softmax attention with keys = normalised queries and the self score −1e5: what LSH reduces to. */
    static INDArray sharedQkAttention(ParamStore p, INDArray x, boolean causal) {
        int t = (int) x.size(1), dh = D / H;
        INDArray qk = heads(project(x, p, "q"), t);   // (B, H, T, Dh)
        INDArray v = heads(project(x, p, "v"), t);
        INDArray keys = qk.div(Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.reduce.floating.Norm2(qk, true, 3)));
        INDArray scores = Nd4j.matmul(qk, keys, false, true, false).mul(1.0 / Math.sqrt(dh));
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) {
                INDArray cell = scores.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(i), NDArrayIndex.point(j));
                if (i == j) cell.assign(LshAttention.SELF_SCORE);
                else if (causal && j > i) cell.assign(LshAttention.MASKED_SCORE);
            }
        }
        INDArray weights = org.nd4j.linalg.ops.transforms.Transforms.exp(scores.sub(scores.max(true, 3)), false);
        INDArray probs = weights.div(weights.sum(true, 3));
        INDArray out = Nd4j.matmul(probs, v).permute(0, 2, 1, 3).dup('c').reshape(B * t, D);
        return out.mmul(p.get("attn.wo")).addRowVector(p.get("attn.bo")).reshape(B, t, D);
    }

    /** x (B, T, D) · W + b → (B·T, D). */
    static INDArray project(INDArray x, ParamStore p, String which) {
        return x.reshape(x.size(0) * x.size(1), D).mmul(p.get("attn.w" + which)).addRowVector(p.get("attn.b" + which));
    }

    static INDArray heads(INDArray x2, int t) {
        return x2.reshape(B, t, H, D / H).permute(0, 2, 1, 3).dup('c');
    }

    @ParameterizedTest(name = "causal={0} rounds={1}")
    @CsvSource({"false,1", "true,1", "false,3", "true,4"})
    void oneChunkWithEveryKeyVisibleEqualsFullSharedQkAttention(boolean causal, int rounds) {
        int t = 11;
        LshAttention a = layer(new LshAttention.Config(4, rounds, 16, true, 5), causal);
        ParamStore p = params(a, 7);
        INDArray x = TestData.normal(8, DataType.DOUBLE, B, t, D);
        double diff = TestData.maxAbsDiff(a.forward(p, "attn.", x, null), sharedQkAttention(p, x, causal));
        assertTrue(diff < 1e-10, "LSH with one chunk and every key visible should be full shared-QK attention; differs by " + diff);
    }

    @Test
    void sameBucketRuleMattersEvenInOneChunk() {
        // a test that could not fail would prove nothing: with the paper's bucket mask, one chunk is not full attention
        int t = 11;
        LshAttention a = layer(LshAttention.Config.of(4, 1, 16), false);
        ParamStore p = params(a, 7);
        INDArray x = TestData.normal(8, DataType.DOUBLE, B, t, D);
        assertTrue(TestData.maxAbsDiff(a.forward(p, "attn.", x, null), sharedQkAttention(p, x, false)) > 1e-3);
    }

    // ---------------------------------------------------------------- the loop oracle

    /** One query at a time: hash, sort (Java's sort), chunk, mask, softmax, combine rounds — all in doubles. */
    static INDArray loopOracle(LshAttention.Config c, ParamStore p, INDArray x, INDArray keyPadding, boolean causal) {
        int t = (int) x.size(1), dh = D / H, chunk = Math.min(c.chunkLength(), t);
        int tp = (t + chunk - 1) / chunk * chunk, m = tp / chunk, half = c.buckets() / 2;
        INDArray qkAll = heads(project(x, p, "q"), t);
        INDArray vAll = heads(project(x, p, "v"), t);
        INDArray rot = p.get("attn.rotations");
        INDArray merged = Nd4j.zeros(DataType.DOUBLE, B, t, D);
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                double[][] qk = new double[tp][dh], v = new double[tp][dh];
                boolean[] pad = new boolean[tp];
                for (int i = 0; i < tp; i++) {
                    pad[i] = i >= t || (keyPadding != null && keyPadding.getDouble(b, i) == 0);
                    for (int e = 0; e < dh && i < t; e++) { qk[i][e] = qkAll.getDouble(b, h, i, e); v[i][e] = vAll.getDouble(b, h, i, e); }
                }
                double[][] z = new double[c.rounds()][tp];
                double[][][] outs = new double[c.rounds()][tp][dh];
                for (int r = 0; r < c.rounds(); r++) {
                    int[] bucket = new int[tp];
                    for (int i = 0; i < tp; i++) {
                        if (pad[i]) { bucket[i] = c.buckets(); continue; }
                        double best = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < 2 * half; j++) {
                            double proj = 0;
                            for (int e = 0; e < dh; e++) proj += qk[i][e] * rot.getDouble(r, e, j % half);
                            if (j >= half) proj = -proj;
                            if (proj > best) { best = proj; bucket[i] = j; }
                        }
                    }
                    List<Integer> order = new ArrayList<>();
                    for (int i = 0; i < tp; i++) order.add(i);
                    order.sort(Comparator.comparingInt((Integer i) -> bucket[i]).thenComparingInt(i -> i));
                    for (int slot = 0; slot < tp; slot++) {
                        int i = order.get(slot), ch = slot / chunk;
                        List<Integer> window = new ArrayList<>();
                        if (m > 1) for (int s = 0; s < chunk; s++) window.add(order.get(((ch + m - 1) % m) * chunk + s));
                        for (int s = 0; s < chunk; s++) window.add(order.get(ch * chunk + s));
                        double[] score = new double[window.size()];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int w = 0; w < score.length; w++) {
                            int j = window.get(w);
                            double dot = 0, norm = 0;
                            for (int e = 0; e < dh; e++) { dot += qk[i][e] * qk[j][e]; norm += qk[j][e] * qk[j][e]; }
                            score[w] = dot / Math.sqrt(norm + 1e-12) / Math.sqrt(dh);
                            if (i == j) score[w] += LshAttention.SELF_SCORE;
                            else if (pad[j] || (causal && j > i) || (!c.attendAcrossBuckets() && bucket[i] != bucket[j])) score[w] += LshAttention.MASKED_SCORE;
                            max = Math.max(max, score[w]);
                        }
                        double sum = 0;
                        for (double s : score) sum += Math.exp(s - max);
                        z[r][i] = max + Math.log(sum);
                        for (int w = 0; w < score.length; w++) {
                            double weight = Math.exp(score[w] - max) / sum;
                            for (int e = 0; e < dh; e++) outs[r][i][e] += weight * v[window.get(w)][e];
                        }
                    }
                }
                for (int i = 0; i < t; i++) {
                    double zMax = Double.NEGATIVE_INFINITY, zSum = 0;
                    for (int r = 0; r < c.rounds(); r++) zMax = Math.max(zMax, z[r][i]);
                    for (int r = 0; r < c.rounds(); r++) zSum += Math.exp(z[r][i] - zMax);
                    for (int e = 0; e < dh; e++) {
                        double value = 0;
                        for (int r = 0; r < c.rounds(); r++) value += Math.exp(z[r][i] - zMax) / zSum * outs[r][i][e];
                        merged.putScalar(new long[] {b, i, (long) h * dh + e}, value);
                    }
                }
            }
        }
        return merged.reshape(B * t, D).mmul(p.get("attn.wo")).addRowVector(p.get("attn.bo")).reshape(B, t, D);
    }

    // Chunks that divide T and that do not (13 = 3·4 + 1: padded inside), one and several rounds, both bucket rules, key padding.
    @ParameterizedTest(name = "T={0} c={1} b={2} rounds={3} across={4} causal={5} keyPadding={6}")
    @CsvSource({"16,4,4,1,false,false,false", "16,4,4,2,false,true,false", "13,4,4,3,false,false,true", "13,4,6,2,true,true,true",
        "24,8,2,4,false,false,false", "9,2,8,2,false,true,true"})
    void equalsALoopThatHashesSortsAndChunksOnItsOwn(int t, int chunk, int buckets, int rounds, boolean across, boolean causal,
                                                    boolean padded) {
        LshAttention.Config c = new LshAttention.Config(buckets, rounds, chunk, across, 3);
        LshAttention a = layer(c, causal);
        ParamStore p = params(a, 11);
        INDArray x = TestData.normal(12, DataType.DOUBLE, B, t, D);
        INDArray keyPadding = null;
        if (padded) {
            keyPadding = Nd4j.ones(DataType.DOUBLE, B, t);
            keyPadding.get(NDArrayIndex.point(1), NDArrayIndex.interval(t - 3, t)).assign(0);
        }
        double diff = TestData.maxAbsDiff(a.forward(p, "attn.", x, keyPadding), loopOracle(c, p, x, keyPadding, causal));
        assertTrue(diff < 1e-10, "LSH layer and the loop oracle differ by " + diff);
    }

    @ParameterizedTest(name = "causal={0} across={1} rounds={2}")
    @CsvSource({"false,false,2", "true,false,3", "true,true,1", "false,true,2"})
    void gradientsMatchFiniteDifferences(boolean causal, boolean across, int rounds) {
        LshAttention a = layer(new LshAttention.Config(4, rounds, 3, across, 9), causal);
        ParamStore p = params(a, 13);
        INDArray x = TestData.normal(14, DataType.DOUBLE, B, 10, D);     // 10 = 3·3 + 1: internal padding on the tape too
        GradientCheck.Result r = new GradientCheck().eagerOnly().check(p, x, new GradientCheck.Fn() {
            @Override
            public <T> T apply(Ops<T> ops, T in) {
                return a.apply(ops, "attn.", in, null);
            }
        }, 15);
        assertTrue(r.passed(), r.toString());
        assertTrue(r.checked() > 40, "enough elements checked: " + r);
    }

    @Test
    void aGraphSaysItCannotHashInsteadOfFailingSomewhereInside() {
        LshAttention a = layer(LshAttention.Config.of(4, 2, 4), true);
        ParamStore p = params(a, 1);
        SameDiff sd = SameDiff.create();
        SdOps g = new SdOps(sd, p, DataType.DOUBLE, false);
        var xv = g.placeholder("x", DataType.DOUBLE, B, 8, D);
        EagerOnlyException e = assertThrows(EagerOnlyException.class, () -> a.apply(g, "attn.", xv, null));
        assertTrue(e.getMessage().contains("eager engine"), e.getMessage());
        assertTrue(new LshAttention.Config(2, 1, 1, false, 0).needsEagerEngine());
    }

    @Test
    void closeVectorsShareABucketMoreOftenThanDistantOnes() {
        int d = 16, trials = 4000;
        Random rng = new Random(21);
        double[] angles = {10, 30, 60, 90, 150};
        double[] same = new double[angles.length];
        for (int k = 0; k < angles.length; k++) {
            int hits = 0;
            for (int trial = 0; trial < trials; trial++) {
                INDArray u = unit(gaussian(rng, d));
                INDArray w = gaussian(rng, d);
                w = unit(w.sub(u.mul(w.mul(u).sumNumber().doubleValue())));              // a unit vector orthogonal to u
                double theta = Math.toRadians(angles[k]);
                INDArray pair = Nd4j.vstack(u, u.mul(Math.cos(theta)).add(w.mul(Math.sin(theta))));
                INDArray rotation = Nd4j.create(gaussianArray(rng, d * 4), new long[] {d, 4}); // b = 8 buckets
                int[] h = LshAttention.buckets(pair, rotation);
                if (h[0] == h[1]) hits++;
            }
            same[k] = hits / (double) trials;
        }
        for (int k = 1; k < angles.length; k++) {
            assertTrue(same[k] < same[k - 1], "P(same bucket) should fall as the angle grows: " + java.util.Arrays.toString(same));
        }
        assertTrue(same[0] > 0.7 && same[angles.length - 1] < 0.05, java.util.Arrays.toString(same));
    }

    static INDArray gaussian(Random rng, int d) {
        return Nd4j.create(gaussianArray(rng, d), new long[] {1, d});
    }

    static double[] gaussianArray(Random rng, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = rng.nextGaussian();
        return a;
    }

    static INDArray unit(INDArray v) {
        return v.div(v.norm2Number().doubleValue());
    }

    @Test
    void neverBuildsALengthByLengthArray() {
        int t = 512;
        LshAttention a = (LshAttention) LshAttention.Config.of(16, 2, 16).build(new AttentionDims(D, H, t, true));
        ParamStore p = new ParamStore(DataType.FLOAT, 1);
        a.declare(p, "attn.");
        ShapeSpy<INDArray> spy = new ShapeSpy<>(NdOps.of(p, DataType.FLOAT));
        a.apply(spy, "attn.", TestData.normal(2, DataType.FLOAT, 1, t, D), null);
        assertTrue(spy.largest < (long) t * t / 2, "largest intermediate " + spy.largest + " elements, T² = " + (long) t * t);
        var tape = dev.etlab.tensor.TapeOps.of(p, DataType.FLOAT);
        ShapeSpy<dev.etlab.tensor.Var> tapeSpy = new ShapeSpy<>(tape);
        var y = a.apply(tapeSpy, "attn.", tape.leaf(TestData.normal(2, DataType.FLOAT, 1, t, D)), null);
        tape.backward(tape.sum(y, false));
        assertTrue(tapeSpy.largest < (long) t * t / 2, "largest intermediate on the tape " + tapeSpy.largest);
    }

    @Test
    void rotationsAreRedrawnForEachTrainingStepAndFixedOtherwise() {
        LshAttention a = layer(LshAttention.Config.of(4, 2, 4), false);
        ParamStore p = params(a, 2);
        INDArray before = p.get("attn.rotations").dup();
        INDArray x = TestData.normal(3, DataType.DOUBLE, B, 12, D);
        assertEquals(0.0, TestData.maxAbsDiff(a.forward(p, "attn.", x, null), a.forward(p, "attn.", x, null)));
        a.beforeTrainingStep(p, "attn.", 2);
        assertTrue(TestData.maxAbsDiff(before, p.get("attn.rotations")) > 0.1, "step 2 should draw new rotations");
        INDArray second = p.get("attn.rotations").dup();
        a.beforeTrainingStep(p, "attn.", 2);
        assertEquals(0.0, TestData.maxAbsDiff(second, p.get("attn.rotations")), "a step's rotations are a function of its number");
        assertFalse(p.contains("attn.wk"), "shared-QK: no key projection");
    }

    @Test
    void badConfigurationsAreRejectedWithAMessageNamingThem() {
        assertMessage(() -> LshAttention.Config.of(3, 1, 4), "buckets", "3");
        assertMessage(() -> LshAttention.Config.of(0, 1, 4), "buckets", "0");
        assertMessage(() -> LshAttention.Config.of(4, 0, 4), "rounds", "0");
        assertMessage(() -> LshAttention.Config.of(4, 1, -2), "chunkLength", "-2");
    }

    static void assertMessage(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String part : parts) assertTrue(e.getMessage().contains(part), e.getMessage() + " should mention " + part);
    }
}
