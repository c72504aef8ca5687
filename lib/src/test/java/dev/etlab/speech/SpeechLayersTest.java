package dev.etlab.speech;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.SdOps;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The Conformer's layers against direct loops and formulas, the running statistics, and bad input. */
class SpeechLayersTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static INDArray input(long seed, long... shape) {
        return TestData.normal(seed, DataType.DOUBLE, shape);
    }

    static NdOps eager(ParamStore p) {
        return NdOps.of(p, DataType.DOUBLE);
    }

    // ---- Swish and GLU against their formulas ----

    @Test
    void swishAndGluMatchTheirFormulas() {
        INDArray x = input(1, 2, 3, 6);
        ParamStore p = new ParamStore(DataType.DOUBLE, 0);
        INDArray swish = Swish.apply(eager(p), x);
        INDArray glu = Glu.apply(eager(p), x);
        for (int b = 0; b < 2; b++) for (int t = 0; t < 3; t++) for (int c = 0; c < 6; c++) {
            double v = x.getDouble(b, t, c);
            assertEquals(v / (1 + Math.exp(-v)), swish.getDouble(b, t, c), 1e-12);
            if (c < 3) assertEquals(v / (1 + Math.exp(-x.getDouble(b, t, c + 3))), glu.getDouble(b, t, c), 1e-12);
        }
        assertArrayEquals(new long[] {2, 3, 3}, glu.shape());
    }

    // ---- depthwise convolution against a direct loop ----

    /** y[b, t, c] = bias[c] + Σ_s w[s, c] · x[b, t + s − left, c], zeros outside. */
    static INDArray directDepthwise(INDArray x, INDArray w, INDArray bias, int left) {
        long bs = x.size(0), len = x.size(1), ch = x.size(2), k = w.size(0);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, bs, len, ch);
        for (int b = 0; b < bs; b++) for (int t = 0; t < len; t++) for (int c = 0; c < ch; c++) {
            double sum = bias.getDouble(c);
            for (int s = 0; s < k; s++) {
                long src = t + s - left;
                if (src >= 0 && src < len) sum += w.getDouble(s, c) * x.getDouble(b, src, c);
            }
            y.putScalar(new long[] {b, t, c}, sum);
        }
        return y;
    }

    @Test
    void depthwiseConvEqualsDirectLoop() {
        // same padding (odd k, also k longer than T), causal (odd and even k), k = 1
        int[][] cases = {{5, 0}, {9, 0}, {1, 0}, {3, 1}, {4, 1}};
        for (int[] kc : cases) {
            DepthwiseConv1d conv = new DepthwiseConv1d("dw.", 3, kc[0], kc[1] == 1);
            ParamStore p = new ParamStore(DataType.DOUBLE, 2);
            conv.declare(p);
            p.assign("dw.b", input(3, 3));
            INDArray x = input(4, 2, 6, 3);
            INDArray want = directDepthwise(x, p.get("dw.w"), p.get("dw.b"), conv.leftPadding());
            double diff = TestData.maxAbsDiff(want, conv.apply(eager(p), x));
            assertTrue(diff < 1e-12, "k = " + kc[0] + (kc[1] == 1 ? " causal" : " same") + ": max difference " + diff);
        }
    }

    @Test
    void causalDepthwiseConvIgnoresTheFuture() {
        DepthwiseConv1d conv = new DepthwiseConv1d("dw.", 2, 4, true);
        ParamStore p = new ParamStore(DataType.DOUBLE, 5);
        conv.declare(p);
        INDArray x = input(6, 1, 7, 2);
        INDArray changed = x.dup();
        changed.putScalar(new long[] {0, 4, 1}, 100.0);
        INDArray a = conv.apply(eager(p), x), b = conv.apply(eager(p), changed);
        assertTrue(TestData.maxAbsDiff(a.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
            org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 4), org.nd4j.linalg.indexing.NDArrayIndex.all()),
            b.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 4),
                org.nd4j.linalg.indexing.NDArrayIndex.all())) == 0, "frames before 4 changed");
        assertTrue(Math.abs(a.getDouble(0, 4, 1) - b.getDouble(0, 4, 1)) > 1, "frame 4 did not change");
    }

    // ---- batch normalisation ----

    private static ParamStore batchNormStore(BatchNorm1d bn) {
        ParamStore p = new ParamStore(DataType.DOUBLE, 7);
        bn.declare(p);
        p.assign("bn.gain", input(8, 3).addi(1));
        p.assign("bn.bias", input(9, 3));
        p.assign("bn.running_mean", input(10, 3));
        p.assign("bn.running_var", Nd4j.createFromArray(0.5, 2.0, 3.0));
        return p;
    }

    @Test
    void batchNormEvaluationUsesTheRunningStatistics() {
        BatchNorm1d bn = new BatchNorm1d("bn.", 3);
        ParamStore p = batchNormStore(bn);
        INDArray x = input(11, 2, 4, 3);
        INDArray before = p.get("bn.running_mean").dup();
        INDArray y = bn.apply(eager(p), x, false);
        for (int b = 0; b < 2; b++) for (int t = 0; t < 4; t++) for (int c = 0; c < 3; c++) {
            double want = (x.getDouble(b, t, c) - p.get("bn.running_mean").getDouble(c))
                / Math.sqrt(p.get("bn.running_var").getDouble(c) + 1e-5) * p.get("bn.gain").getDouble(c) + p.get("bn.bias").getDouble(c);
            assertEquals(want, y.getDouble(b, t, c), 1e-12);
        }
        assertEquals(0, TestData.maxAbsDiff(before, p.get("bn.running_mean")), "evaluation changed the running mean");
    }

    @Test
    void batchNormTrainingNormalisesWithTheBatchStatistics() {
        BatchNorm1d bn = new BatchNorm1d("bn.", 3);
        ParamStore p = batchNormStore(bn);
        p.assign("bn.gain", Nd4j.ones(DataType.DOUBLE, 3));
        p.assign("bn.bias", Nd4j.zeros(DataType.DOUBLE, 3));
        INDArray x = input(12, 2, 4, 3).muli(3).addi(5);
        INDArray y = bn.apply(eager(p), x, true).reshape(8, 3);
        INDArray mean = y.mean(0), variance = y.var(false, 0);
        for (int c = 0; c < 3; c++) {
            assertEquals(0, mean.getDouble(c), 1e-12);
            assertEquals(1, variance.getDouble(c), 1e-5); // ε = 1e-5 in the denominator
        }
    }

    /** running ← (1 − m)·running + m·batch, the variance unbiased, after each training pass, on both eager engines. */
    @Test
    void runningStatisticsFollowTheMomentumOnEagerEngines() {
        for (String engine : new String[] {"NdOps", "TapeOps"}) {
            BatchNorm1d bn = new BatchNorm1d("bn.", 3, 0.25, 1e-5);
            ParamStore p = batchNormStore(bn);
            INDArray wantMean = p.get("bn.running_mean").dup(), wantVar = p.get("bn.running_var").dup();
            for (int step = 0; step < 2; step++) {
                INDArray x = input(13 + step, 2, 5, 3).muli(2).addi(step);
                INDArray frames = x.reshape(10, 3);
                wantMean = wantMean.mul(0.75).add(frames.mean(0).mul(0.25));
                wantVar = wantVar.mul(0.75).add(frames.var(true, 0).mul(0.25));
                if (engine.equals("NdOps")) {
                    bn.apply(eager(p), x, true);
                } else {
                    TapeOps tape = TapeOps.of(p, DataType.DOUBLE);
                    Var y = bn.apply(tape, tape.leaf(x), true);
                    tape.backward(tape.sum(y, false));
                }
            }
            assertTrue(TestData.maxAbsDiff(wantMean, p.get("bn.running_mean")) < 1e-12, engine + ": running mean " + p.get("bn.running_mean"));
            assertTrue(TestData.maxAbsDiff(wantVar, p.get("bn.running_var")) < 1e-12, engine + ": running variance " + p.get("bn.running_var"));
        }
    }

    @Test
    void aGraphLeavesTheRunningStatisticsAlone() {
        BatchNorm1d bn = new BatchNorm1d("bn.", 3);
        ParamStore p = batchNormStore(bn);
        INDArray before = p.get("bn.running_var").dup();
        SameDiff sd = SameDiff.create();
        SdOps g = new SdOps(sd, p, DataType.DOUBLE, false);
        INDArray x = input(15, 2, 4, 3);
        var xv = sd.constant("x", x);
        g.track(xv, x.shape());
        INDArray graph = bn.apply(g, xv, true).eval();
        assertEquals(0, TestData.maxAbsDiff(before, p.get("bn.running_var")));
        assertTrue(TestData.maxAbsDiff(graph, bn.apply(eager(p.copy()), x, true)) < 1e-12, "graph and eager training outputs differ");
    }

    // ---- relative self-attention against a per-pair oracle ----

    @Test
    void relativeSelfAttentionEqualsPerPairScores() {
        int d = 4, h = 2, dh = 2, len = 5;
        RelativeSelfAttention attn = new RelativeSelfAttention("a.", d, h);
        ParamStore p = new ParamStore(DataType.DOUBLE, 16);
        attn.declare(p);
        p.assign("a.u", input(17, h, dh));
        p.assign("a.v", input(18, h, dh));
        p.assign("a.bq", input(19, d));
        INDArray x = input(20, 2, len, d);
        INDArray keyPadding = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}});
        INDArray got = attn.apply(eager(p), x, keyPadding);

        INDArray q = x.reshape(2 * len, d).mmul(p.get("a.wq")).addRowVector(p.get("a.bq")).reshape(2, len, d);
        INDArray k = x.reshape(2 * len, d).mmul(p.get("a.wk")).addRowVector(p.get("a.bk")).reshape(2, len, d);
        INDArray v = x.reshape(2 * len, d).mmul(p.get("a.wv")).addRowVector(p.get("a.bv")).reshape(2, len, d);
        INDArray merged = Nd4j.zeros(DataType.DOUBLE, 2, len, d);
        for (int b = 0; b < 2; b++) for (int head = 0; head < h; head++) for (int i = 0; i < len; i++) {
            double[] scores = new double[len];
            for (int j = 0; j < len; j++) {
                double[] sinusoid = new double[d];                                   // of the distance i − j, from the formula
                for (int e = 0; e < d; e++) {
                    double angle = (i - j) / Math.pow(10000, (2 * (e / 2)) / (double) d);
                    sinusoid[e] = e % 2 == 0 ? Math.sin(angle) : Math.cos(angle);
                }
                INDArray r = Nd4j.createFromArray(sinusoid).reshape(1, d).mmul(p.get("a.wr")).reshape(d);
                double s = 0;
                for (int e = 0; e < dh; e++) {
                    int c = head * dh + e;
                    s += (q.getDouble(b, i, c) + p.get("a.u").getDouble(head, e)) * k.getDouble(b, j, c)
                        + (q.getDouble(b, i, c) + p.get("a.v").getDouble(head, e)) * r.getDouble(c);
                }
                scores[j] = keyPadding.getDouble(b, j) == 1 ? s / Math.sqrt(dh) : Double.NEGATIVE_INFINITY;
            }
            double max = java.util.Arrays.stream(scores).max().orElseThrow(), total = 0;
            for (int j = 0; j < len; j++) total += Math.exp(scores[j] - max);
            for (int e = 0; e < dh; e++) {
                double o = 0;
                for (int j = 0; j < len; j++) o += Math.exp(scores[j] - max) / total * v.getDouble(b, j, head * dh + e);
                merged.putScalar(new long[] {b, i, head * dh + e}, o);
            }
        }
        INDArray want = merged.reshape(2 * len, d).mmul(p.get("a.wo")).addRowVector(p.get("a.bo")).reshape(2, len, d);
        double diff = TestData.maxAbsDiff(want, got);
        assertTrue(diff < 1e-9, "max difference " + diff);
    }

    @Test
    void signedSinusoidIsOddInSineEvenInCosine() {
        INDArray r = RelativeSelfAttention.signedSinusoid(4, 6, DataType.DOUBLE);  // rows: distance 3 … −3
        assertArrayEquals(new long[] {7, 6}, r.shape());
        for (int dist = 0; dist <= 3; dist++) for (int i = 0; i < 6; i++) {
            double pos = r.getDouble(3 - dist, i), neg = r.getDouble(3 + dist, i);
            assertEquals(i % 2 == 0 ? -pos : pos, neg, 1e-15);
        }
        assertEquals(Math.sin(3.0), r.getDouble(0, 0), 1e-15);
    }

    // ---- subsampling against a direct 2-D convolution ----

    @Test
    void subsamplingEqualsDirectConvolutions() {
        ConvSubsampling sub = new ConvSubsampling("s.", 11, 2, 3);
        ParamStore p = new ParamStore(DataType.DOUBLE, 21);
        sub.declare(p);
        p.assign("s.conv1.b", input(22, 2));
        p.assign("s.conv2.b", input(23, 2).muli(0.5));
        INDArray x = input(24, 2, 12, 11);
        INDArray got = sub.apply(eager(p), x);
        long t2 = ConvSubsampling.outputLength(12), f2 = ConvSubsampling.outputLength(11);
        assertEquals(2, t2);
        assertEquals(2, f2);
        assertArrayEquals(new long[] {2, t2, 3}, got.shape());
        INDArray h1 = directConv(x.reshape(2, 12, 11, 1), p.get("s.conv1.w"), p.get("s.conv1.b"));
        INDArray h2 = directConv(h1, p.get("s.conv2.w"), p.get("s.conv2.b"));
        INDArray want = h2.reshape(2 * t2, f2 * 2).mmul(p.get("s.out.w")).addRowVector(p.get("s.out.b")).reshape(2, t2, 3);
        double diff = TestData.maxAbsDiff(want, got);
        assertTrue(diff < 1e-12, "max difference " + diff);
    }

    /** ReLU(3 × 3 conv, stride 2, no padding); w rows ordered (dt, df, cin). */
    static INDArray directConv(INDArray x, INDArray w, INDArray bias) {
        long bs = x.size(0), t = (x.size(1) - 3) / 2 + 1, f = (x.size(2) - 3) / 2 + 1, cin = x.size(3), cout = w.size(1);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, bs, t, f, cout);
        for (int b = 0; b < bs; b++) for (int i = 0; i < t; i++) for (int j = 0; j < f; j++) for (int o = 0; o < cout; o++) {
            double s = bias.getDouble(o);
            for (int dt = 0; dt < 3; dt++) for (int df = 0; df < 3; df++) for (int c = 0; c < cin; c++) {
                s += w.getDouble((dt * 3 + df) * cin + c, o) * x.getDouble(b, 2 * i + dt, 2 * j + df, c);
            }
            y.putScalar(new long[] {b, i, j, o}, Math.max(0, s));
        }
        return y;
    }

    @Test
    void subsamplingOutputLength() {
        assertEquals(0, ConvSubsampling.outputLength(6));
        assertEquals(1, ConvSubsampling.outputLength(7));
        assertEquals(1, ConvSubsampling.outputLength(10));
        assertEquals(2, ConvSubsampling.outputLength(11));
        assertEquals(24, ConvSubsampling.outputLength(100)); // (100 − 3)/2 + 1 = 49, (49 − 3)/2 + 1 = 24
    }

    // ---- the block keeps shapes, and evaluation reads the buffers ----

    @Test
    void blockKeepsShapeAndItsModesDiffer() {
        ConformerBlock block = new ConformerBlock("b.", 8, 2, 16, 5, 0.1);
        ParamStore p = new ParamStore(DataType.DOUBLE, 25);
        block.declare(p);
        INDArray x = input(26, 2, 6, 8).muli(3).addi(1);
        INDArray train = block.apply(eager(p), x, null, true);
        assertArrayEquals(x.shape(), train.shape());
        INDArray eval = block.apply(eager(p), x, null, false);
        assertTrue(TestData.maxAbsDiff(train, eval) > 1e-3, "evaluation with fresh buffers (mean 0, variance 1) should differ from training");
        assertTrue(TestData.maxAbsDiff(p.get("b.conv.bn.running_mean"), Nd4j.zeros(DataType.DOUBLE, 8)) > 0, "training pass did not update the running mean");
    }

    /**
     * Evaluation mode, every sub-layer per frame or masked: the frames of a shorter utterance do not depend on
     * what fills its padding (attention masks the padded keys, the convolution zeroes padded frames).
     */
    @Test
    void paddedFramesDoNotReachRealFramesInEvaluation() {
        ConformerBlock block = new ConformerBlock("b.", 8, 2, 16, 5, 0.0);
        ParamStore p = new ParamStore(DataType.DOUBLE, 28);
        block.declare(p);
        INDArray padding = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}});
        INDArray x = input(29, 2, 6, 8);
        INDArray changed = x.dup();
        changed.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1), org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 6),
            org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(input(30, 2, 8).muli(10));
        INDArray a = block.apply(eager(p), x, padding, false), b = block.apply(eager(p), changed, padding, false);
        for (int t = 0; t < 4; t++) for (int c = 0; c < 8; c++) assertEquals(a.getDouble(1, t, c), b.getDouble(1, t, c), 1e-12);
        INDArray unmasked = block.apply(eager(p), changed, null, false);
        assertTrue(Math.abs(unmasked.getDouble(1, 3, 0) - b.getDouble(1, 3, 0)) > 1e-6, "without the mask the padding should leak");
    }

    /** The engine that trains: float32, dropout on, subsampling then two blocks; finite gradients for every parameter, statistics updated. */
    @Test
    void subsamplingAndBlocksTrainOnTheTapeInFloat32() {
        ParamStore p = new ParamStore(DataType.FLOAT, 34);
        ConvSubsampling sub = new ConvSubsampling("sub.", 16, 4, 8);
        ConformerBlock[] blocks = {new ConformerBlock("b0.", 8, 2, 32, 7, 0.1), new ConformerBlock("b1.", 8, 2, 32, 7, 0.1)};
        sub.declare(p);
        for (ConformerBlock b : blocks) b.declare(p);
        INDArray features = TestData.normal(35, DataType.FLOAT, 3, 40, 16);
        TapeOps tape = TapeOps.training(p, name -> p.all().get(name).trainable(), DataType.FLOAT, new java.util.Random(36));
        Var x = sub.apply(tape, tape.constant(features));                                    // (3, 9, 8)
        assertArrayEquals(new long[] {3, ConvSubsampling.outputLength(40), 8}, x.shape());
        for (ConformerBlock b : blocks) x = b.apply(tape, x, null, true);
        tape.backward(tape.mean(tape.square(x), false));
        var grads = tape.paramGradients();
        assertEquals(p.trainableNames().size(), grads.size());
        for (var g : grads.entrySet()) {
            assertTrue(dev.etlab.Check.allFinite(g.getValue()), g.getKey() + " has a non-finite gradient");
            assertTrue(g.getValue().norm2Number().doubleValue() > 0, g.getKey() + " got no gradient");
        }
        assertTrue(p.get("b1.conv.bn.running_mean").norm2Number().doubleValue() > 0, "running mean not updated");
    }

    // ---- bad input ----

    static void assertMessage(Runnable r, String... words) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String w : words) assertTrue(e.getMessage().contains(w), "message \"" + e.getMessage() + "\" lacks \"" + w + "\"");
    }

    @Test
    void badInputIsRejectedWithItsNameAndValue() {
        assertMessage(() -> new DepthwiseConv1d("dw.", 4, 4, false), "kernel = 4", "odd");
        assertMessage(() -> new ConvolutionModule("c.", 4, 30, 0.0, false), "kernel = 30", "odd");
        assertMessage(() -> new DepthwiseConv1d("dw.", 4, 0, true), "kernel = 0");
        assertMessage(() -> new ConformerBlock("b.", 6, 4, 8, 3, 0.1), "heads = 4", "divisor of dModel = 6");
        assertMessage(() -> new BatchNorm1d("bn.", 3, 0.0, 1e-5), "momentum = 0.0");
        assertMessage(() -> new ConvSubsampling("s.", 6, 2, 4), "melBins = 6", "at least 7");

        ParamStore p = new ParamStore(DataType.DOUBLE, 27);
        DepthwiseConv1d conv = new DepthwiseConv1d("dw.", 4, 3, false);
        conv.declare(p);
        assertMessage(() -> conv.apply(eager(p), Nd4j.zeros(DataType.DOUBLE, 2, 0, 4)), "time = 0", "at least one frame");
        assertMessage(() -> conv.apply(eager(p), Nd4j.zeros(DataType.DOUBLE, 2, 5, 3)), "channels = 3", "4 on axis 2");
        assertMessage(() -> conv.apply(eager(p), Nd4j.zeros(DataType.DOUBLE, 5, 4)), "x = ", "rank 3");
        assertMessage(() -> Glu.apply(eager(p), Nd4j.zeros(DataType.DOUBLE, 2, 3, 5)), "channels = 5", "even");
        ConvolutionModule module = new ConvolutionModule("m.", 4, 3, 0.0, false);
        module.declare(p);
        assertMessage(() -> module.apply(eager(p), Nd4j.zeros(DataType.DOUBLE, 2, 5, 4), Nd4j.ones(DataType.DOUBLE, 2, 4), false),
            "framePadding", "(2, 5)");

        BatchNorm1d bn = new BatchNorm1d("bn.", 4);
        bn.declare(p);
        assertMessage(() -> bn.apply(eager(p), Nd4j.zeros(DataType.DOUBLE, 1, 1, 4), true), "batch × time = 1", "at least 2 frames");

        ConvSubsampling sub = new ConvSubsampling("s.", 8, 2, 4);
        sub.declare(p);
        assertMessage(() -> sub.apply(eager(p), Nd4j.zeros(DataType.DOUBLE, 2, 6, 8)), "time = 6", "at least 7 frames");
        assertMessage(() -> sub.apply(eager(p), Nd4j.zeros(DataType.DOUBLE, 2, 9, 10)), "melBins = 10", "8 on axis 2");
    }
}
