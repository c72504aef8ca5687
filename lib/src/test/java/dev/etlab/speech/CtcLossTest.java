package dev.etlab.speech;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.EagerOnlyException;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.SdOps;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** CTC against brute-force enumeration of every path, finite differences, padding, the repeat rule and bad input; greedy decoding and edit distances. */
class CtcLossTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    /** −ln Σ over all V^T paths π with B(π) = l of Π_t y_t(π_t): the definition (Graves et al. 2006, Eq. 2–3). */
    static double bruteForce(double[][] logits, int[] target) {
        int t1 = logits.length, v = logits[0].length;
        double[][] y = new double[t1][v];
        for (int t = 0; t < t1; t++) {
            double z = 0;
            for (int k = 0; k < v; k++) z += Math.exp(logits[t][k]);
            for (int k = 0; k < v; k++) y[t][k] = Math.exp(logits[t][k]) / z;
        }
        double p = 0;
        int[] path = new int[t1];
        for (long code = 0; code < Math.round(Math.pow(v, t1)); code++) {
            long c = code;
            double prob = 1;
            for (int t = 0; t < t1; t++) {
                path[t] = (int) (c % v);
                c /= v;
                prob *= y[t][path[t]];
            }
            if (Arrays.equals(CtcDecoding.collapse(path), target)) p += prob;
        }
        return -Math.log(p);
    }

    static double[][] slice(INDArray logits, int b, int frames) {
        double[][] out = new double[frames][];
        for (int t = 0; t < frames; t++) out[t] = logits.get(org.nd4j.linalg.indexing.NDArrayIndex.point(b),
            org.nd4j.linalg.indexing.NDArrayIndex.point(t), org.nd4j.linalg.indexing.NDArrayIndex.all()).toDoubleVector();
        return out;
    }

    @Test
    void equalsBruteForceOverAllPaths() {
        int[][] targets = {{1}, {1, 2}, {1, 1}, {}, {2, 2, 2}, {1, 2, 1}, {2}, {1, 1, 2}};
        int[] frames = {5, 4, 5, 3, 5, 5, 1, 5};
        for (int v : new int[] {2, 3}) {
            for (int i = 0; i < targets.length; i++) {
                if (Arrays.stream(targets[i]).anyMatch(k -> k >= v)) continue;
                if (frames[i] < CtcLoss.minimumFrames(targets[i])) continue;
                INDArray logits = TestData.normal(10 + i + 100L * v, DataType.DOUBLE, 1, frames[i], v).muli(1.5);
                double got = new CtcLoss().compute(logits, new int[] {frames[i]}, CtcLoss.padTargets(new int[][] {targets[i]}),
                    new int[] {targets[i].length}).loss();
                assertEquals(bruteForce(slice(logits, 0, frames[i]), targets[i]), got, 1e-10, "V = " + v + ", target " + Arrays.toString(targets[i]));
            }
        }
    }

    /** A batch: each utterance as alone, and the reductions (mean, per label, sum). */
    @Test
    void batchReductions() {
        int[][] targets = {{1, 2}, {}, {2, 2}};
        int[] frames = {4, 2, 5};
        INDArray logits = TestData.normal(3, DataType.DOUBLE, 3, 5, 3);
        double[] each = new double[3];
        for (int b = 0; b < 3; b++) each[b] = bruteForce(slice(logits, b, frames[b]), targets[b]);
        INDArray padded = CtcLoss.padTargets(targets);
        int[] lengths = {2, 0, 2};
        CtcLoss.Result mean = new CtcLoss().compute(logits, frames, padded, lengths);
        assertArrayEquals(each, mean.perUtterance(), 1e-10);
        assertEquals((each[0] + each[1] + each[2]) / 3, mean.loss(), 1e-10);
        assertEquals((each[0] / 2 + each[1] + each[2] / 2) / 3,
            new CtcLoss(CtcLoss.Reduction.MEAN_PER_LABEL, false).compute(logits, frames, padded, lengths).loss(), 1e-10);
        assertEquals(each[0] + each[1] + each[2], new CtcLoss(CtcLoss.Reduction.SUM, false).compute(logits, frames, padded, lengths).loss(), 1e-10);
    }

    /** Eq. (16) against central differences of the loss, every logit of a batch with padding and a repeat. */
    @Test
    void gradientMatchesFiniteDifferences() {
        int[][] targets = {{1, 2, 2}, {3}, {}};
        int[] frames = {6, 4, 3};
        INDArray logits = TestData.normal(4, DataType.DOUBLE, 3, 6, 4);
        INDArray padded = CtcLoss.padTargets(targets);
        int[] lengths = {3, 1, 0};
        for (CtcLoss ctc : new CtcLoss[] {new CtcLoss(), new CtcLoss(CtcLoss.Reduction.MEAN_PER_LABEL, false)}) {
            double[][][] grad = ctc.compute(logits, frames, padded, lengths).gradient();
            double eps = 1e-6, worst = 0;
            for (int b = 0; b < 3; b++) for (int t = 0; t < 6; t++) for (int k = 0; k < 4; k++) {
                double orig = logits.getDouble(b, t, k);
                logits.putScalar(new long[] {b, t, k}, orig + eps);
                double plus = ctc.compute(logits, frames, padded, lengths).loss();
                logits.putScalar(new long[] {b, t, k}, orig - eps);
                double minus = ctc.compute(logits, frames, padded, lengths).loss();
                logits.putScalar(new long[] {b, t, k}, orig);
                double numeric = (plus - minus) / (2 * eps);
                worst = Math.max(worst, Math.abs(numeric - grad[b][t][k]));
                if (t >= frames[b]) assertEquals(0.0, grad[b][t][k], "padded frame " + t + " of utterance " + b);
            }
            assertTrue(worst < 1e-8, "largest |analytic − numeric| = " + worst);
        }
    }

    /** The tape gets Eq. (16) (times the incoming gradient); NdOps the same value; SameDiff is refused by name. */
    @Test
    void runsOnTheTapeAndEagerlyButNotInAGraph() {
        INDArray logits = TestData.normal(5, DataType.DOUBLE, 2, 5, 3);
        int[] frames = {5, 3};
        int[][] targets = {{1, 2}, {2}};
        CtcLoss ctc = new CtcLoss();
        CtcLoss.Result r = ctc.compute(logits, frames, CtcLoss.padTargets(targets), new int[] {2, 1});
        ParamStore p = new ParamStore(DataType.DOUBLE, 1);
        TapeOps tape = TapeOps.of(p, DataType.DOUBLE);
        Var x = tape.leaf(logits.dup());
        Var loss = ctc.apply(tape, x, frames, targets);
        assertEquals(r.loss(), loss.value().getDouble(0), 1e-12);
        tape.backward(tape.mul(loss, 3.0));
        for (int b = 0; b < 2; b++) for (int t = 0; t < 5; t++) for (int k = 0; k < 3; k++)
            assertEquals(3 * r.gradient()[b][t][k], x.grad().getDouble(b, t, k), 1e-12);
        assertEquals(r.loss(), ctc.apply(NdOps.of(p, DataType.DOUBLE), logits, frames, targets).getDouble(0), 1e-12);
        SdOps graph = new SdOps(SameDiff.create(), p, DataType.DOUBLE, false);
        EagerOnlyException e = assertThrows(EagerOnlyException.class,
            () -> ctc.apply(graph, graph.constant(logits), frames, targets));
        assertTrue(e.getMessage().contains("CtcLoss"), e.getMessage());
    }

    /** What fills the frames past an utterance's length changes neither its loss nor its gradient. */
    @Test
    void paddedFramesDoNotChangeTheLoss() {
        INDArray logits = TestData.normal(6, DataType.DOUBLE, 2, 6, 3);
        INDArray changed = logits.dup();
        changed.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1), org.nd4j.linalg.indexing.NDArrayIndex.interval(3, 6),
            org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(TestData.normal(7, DataType.DOUBLE, 3, 3).muli(20));
        int[] frames = {6, 3};
        INDArray targets = CtcLoss.padTargets(new int[][] {{1, 2}, {2, 1}});
        CtcLoss.Result a = new CtcLoss().compute(logits, frames, targets, new int[] {2, 2});
        CtcLoss.Result b = new CtcLoss().compute(changed, frames, targets, new int[] {2, 2});
        assertEquals(a.loss(), b.loss(), 1e-14);
        for (int t = 0; t < 6; t++) assertArrayEquals(a.gradient()[1][t], b.gradient()[1][t], 1e-14);
        assertEquals(bruteForce(slice(logits, 1, 3), new int[] {2, 1}), a.perUtterance()[1], 1e-10);
    }

    /** "aa" needs a blank between its copies: 3 frames; 2 are infeasible (throws, or 0 with zeroInfinity); "ab" fits in 2. */
    @Test
    void repeatedLabelsNeedABlankBetween() {
        assertEquals(3, CtcLoss.minimumFrames(new int[] {1, 1}));
        assertEquals(2, CtcLoss.minimumFrames(new int[] {1, 2}));
        assertEquals(8, CtcLoss.minimumFrames(new int[] {1, 1, 2, 2, 2}));   // 5 labels, 3 adjacent repeats
        INDArray two = TestData.normal(8, DataType.DOUBLE, 1, 2, 3);
        INDArray aa = CtcLoss.padTargets(new int[][] {{1, 1}});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new CtcLoss().compute(two, new int[] {2}, aa, new int[] {2}));
        for (String w : new String[] {"frameLengths[0] = 2", "utterance 0", "at least 3 frames", "zeroInfinity"})
            assertTrue(e.getMessage().contains(w), e.getMessage());
        CtcLoss.Result zero = new CtcLoss(CtcLoss.Reduction.MEAN, true).compute(two, new int[] {2}, aa, new int[] {2});
        assertEquals(0.0, zero.loss());
        for (double[] frame : zero.gradient()[0]) assertArrayEquals(new double[3], frame);
        double ab = new CtcLoss().compute(two, new int[] {2}, CtcLoss.padTargets(new int[][] {{1, 2}}), new int[] {2}).loss();
        assertEquals(bruteForce(slice(two, 0, 2), new int[] {1, 2}), ab, 1e-10);
        INDArray three = TestData.normal(9, DataType.DOUBLE, 1, 3, 3);
        assertEquals(bruteForce(slice(three, 0, 3), new int[] {1, 1}),
            new CtcLoss().compute(three, new int[] {3}, aa, new int[] {2}).loss(), 1e-10);
    }

    static void assertMessage(Runnable r, String... words) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String w : words) assertTrue(e.getMessage().contains(w), "message \"" + e.getMessage() + "\" lacks \"" + w + "\"");
    }

    @Test
    void badInputIsRejectedWithItsNameAndValue() {
        CtcLoss ctc = new CtcLoss();
        INDArray logits = TestData.normal(10, DataType.DOUBLE, 2, 4, 3);
        INDArray targets = CtcLoss.padTargets(new int[][] {{1, 2}, {2, 0}});
        int[] frames = {4, 4};
        assertMessage(() -> ctc.compute(logits, frames, CtcLoss.padTargets(new int[][] {{1, 0}, {2}}), new int[] {2, 1}),
            "targets[0, 1] = 0", "blank");
        assertMessage(() -> ctc.compute(logits, frames, CtcLoss.padTargets(new int[][] {{1, 3}, {2}}), new int[] {2, 1}),
            "targets[0, 1] = 3", "[1, 3)");
        assertMessage(() -> ctc.compute(logits, new int[] {4, 5}, targets, new int[] {2, 1}), "frameLengths[1] = 5", "[1, 4]");
        assertMessage(() -> ctc.compute(logits, new int[] {-1, 4}, targets, new int[] {2, 1}), "frameLengths[0] = -1");
        assertMessage(() -> ctc.compute(logits, new int[] {4}, targets, new int[] {2, 1}), "frameLengths", "2 lengths");
        assertMessage(() -> ctc.compute(logits, frames, targets, new int[] {3, 1}), "targetLengths[0] = 3", "[0, 2]");
        assertMessage(() -> ctc.compute(logits, frames, targets, new int[] {2, -1}), "targetLengths[1] = -1");
        assertMessage(() -> ctc.compute(logits, frames, targets.castTo(DataType.FLOAT), new int[] {2, 1}), "targets", "integer");
        assertMessage(() -> ctc.compute(Nd4j.zeros(DataType.DOUBLE, 2, 4), frames, targets, new int[] {2, 1}), "logits", "rank 3");
        INDArray nan = logits.dup();
        nan.putScalar(new long[] {0, 1, 2}, Double.NaN);
        assertMessage(() -> ctc.compute(nan, frames, targets, new int[] {2, 1}), "logits[0, 1]", "finite");
    }

    // ---- decoding and error rates ----

    @Test
    void greedyDecodingCollapsesRepeatsAndDropsBlanks() {
        assertArrayEquals(new int[] {1, 1, 2}, CtcDecoding.collapse(new int[] {1, 1, 0, 1, 2, 2}));
        assertArrayEquals(new int[] {}, CtcDecoding.collapse(new int[] {0, 0}));
        assertArrayEquals(new int[] {3, 1}, CtcDecoding.collapse(new int[] {3, 3, 3, 1, 0}));
        // frame-wise argmax paths: [2, 2, 0, 2, 1] and [1, 0, 1 | padding 2, 2]
        int[][] paths = {{2, 2, 0, 2, 1}, {1, 0, 1, 2, 2}};
        INDArray logits = Nd4j.zeros(DataType.DOUBLE, 2, 5, 3);
        for (int b = 0; b < 2; b++) for (int t = 0; t < 5; t++) logits.putScalar(new long[] {b, t, paths[b][t]}, 2.0);
        int[][] decoded = CtcDecoding.greedy(logits, new int[] {5, 3});
        assertArrayEquals(new int[] {2, 2, 1}, decoded[0]);
        assertArrayEquals(new int[] {1, 1}, decoded[1]);
        assertEquals("o t", CtcDecoding.text(new int[] {3, 1, 2}, "_ to"));
    }

    @Test
    void editDistancesAndErrorRates() {
        assertEquals(0, EditDistance.distance(new int[] {1, 2, 3}, new int[] {1, 2, 3}));
        assertEquals(3, EditDistance.distance(new int[] {1, 2, 3}, new int[] {}));
        assertEquals(2, EditDistance.distance(new int[] {}, new int[] {4, 4}));
        assertEquals(3, EditDistance.distance("kitten".chars().toArray(), "sitting".chars().toArray()));
        assertEquals(2, EditDistance.distance(List.of("three", "one", "four"), List.of("three", "four", "four", "one")));
        EditDistance.ErrorRate cer = EditDistance.characterErrors(List.of("one two", "six"), List.of("one too", "sx"));
        assertEquals(2, cer.edits());
        assertEquals(10, cer.referenceUnits());
        assertEquals(0.2, cer.rate(), 1e-12);
        EditDistance.ErrorRate wer = EditDistance.wordErrors(List.of("three one four", "nine"), List.of("three four", "nine five"));
        assertEquals(2, wer.edits());
        assertEquals(4, wer.referenceUnits());
        assertEquals(0.5, wer.rate(), 1e-12);
        assertEquals(List.of(), EditDistance.words("   "));
        assertMessage(() -> EditDistance.wordErrors(List.of("a"), List.of()), "hypotheses", "one per reference");
    }
}
