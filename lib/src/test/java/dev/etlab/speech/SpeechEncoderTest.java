package dev.etlab.speech;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.GradientCheck;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.train.CtcTrainer;
import dev.etlab.train.History;
import dev.etlab.train.TrainConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The CTC speech encoder: gradients end to end, equal-parameter ablations, modes, padding, a tiny overfit, bad input. */
class SpeechEncoderTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static SpeechEncoderConfig tiny(BlockKind kind, double dropout) {
        return new SpeechEncoderConfig(kind, 7, 4, 4, 2, 8, 3, 1, 2, dropout);
    }

    /** Subsampling, one block of each kind, the output layer and CTC against central differences (float64, eager engines). */
    @Test
    void wholeEncoderWithCtcPassesTheGradientCheck() {
        int[] lengths = {15, 13};                                                   // 3 and 2 frames after subsampling
        INDArray targets = CtcLoss.padTargets(new int[][] {{1, 2}, {3}});
        int[] targetLengths = {2, 1};
        CtcLoss ctc = new CtcLoss();
        for (BlockKind kind : BlockKind.values()) {
            SpeechEncoder model = new SpeechEncoder(tiny(kind, 0.1), DataType.DOUBLE, 40 + kind.ordinal());
            // biases away from 0: with 2 channels a frame can leave the subsampling as exactly out.b, and LayerNorm of a
            // constant vector (variance 0, amplified by 1/√ε) is too steep for finite differences
            model.params().assign("sub.conv1.b", TestData.normal(41, DataType.DOUBLE, 2).muli(0.1).addi(0.3));
            model.params().assign("sub.conv2.b", TestData.normal(42, DataType.DOUBLE, 2).muli(0.1).addi(0.3));
            model.params().assign("sub.out.b", TestData.normal(43, DataType.DOUBLE, 4));
            INDArray x = TestData.normal(50, DataType.DOUBLE, 2, 15, 7);
            x.get(NDArrayIndex.point(1), NDArrayIndex.interval(13, 15), NDArrayIndex.all()).assign(0);
            for (boolean training : new boolean[] {true, false}) {
                GradientCheck.Result r = new GradientCheck(1e-6, 1e-5, 1e-8, 3).eagerOnly().check(model.params(), x, new GradientCheck.Fn() {
                    public <T> T apply(Ops<T> ops, T in) {
                        return ops.reshape(model.loss(ops, in, lengths, targets, targetLengths, training, ctc), 1);
                    }
                }, 7);
                assertTrue(r.passed(), kind + (training ? " training: " : " evaluation: ") + r);
                assertTrue(r.checked() >= 30, "too few elements checked: " + r);
            }
        }
    }

    @Test
    void ablationsDropTheirModuleAndMatchTheConformersParameterCount() {
        SpeechEncoderConfig notebook = SpeechEncoderConfig.conformer(80, 20, 64, 4, 15, 2, 0.1);
        for (SpeechEncoderConfig reference : new SpeechEncoderConfig[] {notebook, tiny(BlockKind.CONFORMER, 0.0),
                SpeechEncoderConfig.conformer(40, 30, 96, 4, 31, 4, 0.1)}) {
            long target = reference.parameterCount();
            assertEquals(target, new SpeechEncoder(reference, 1).parameterCount());
            assertEquals(reference, reference.matchedParameters(BlockKind.CONFORMER));
            for (BlockKind kind : new BlockKind[] {BlockKind.ATTENTION_ONLY, BlockKind.CONV_ONLY}) {
                SpeechEncoderConfig matched = reference.matchedParameters(kind);
                assertEquals(kind, matched.kind());
                assertTrue(matched.dFf() > reference.dFf(), kind + " should get a wider feed-forward: " + matched);
                double off = Math.abs(matched.parameterCount() - target) / (double) target;
                assertTrue(off < 0.02, kind + ": " + matched.parameterCount() + " parameters vs " + target);
                assertTrue(reference.withKind(kind).parameterCount() < target * 0.98, "the unmatched ablation should be smaller");
            }
        }
        var attentionOnly = new SpeechEncoder(tiny(BlockKind.ATTENTION_ONLY, 0.0), 1).params();
        var convOnly = new SpeechEncoder(tiny(BlockKind.CONV_ONLY, 0.0), 1).params();
        var conformer = new SpeechEncoder(tiny(BlockKind.CONFORMER, 0.0), 1).params();
        assertFalse(attentionOnly.contains("blocks.0.conv.bn.running_mean"));
        assertTrue(attentionOnly.contains("blocks.0.attn.wq"));
        assertFalse(convOnly.contains("blocks.0.attn.wq"));
        assertTrue(convOnly.contains("blocks.0.conv.bn.running_mean"));
        assertTrue(conformer.contains("blocks.0.attn.wq") && conformer.contains("blocks.0.conv.bn.running_mean"));
    }

    /** The CONFORMER kind is the existing block, not a copy: same output as ConformerBlock on the same parameters. */
    @Test
    void conformerKindIsTheConformerBlock() {
        SpeechEncoder model = new SpeechEncoder(tiny(BlockKind.CONFORMER, 0.0), DataType.DOUBLE, 3);
        INDArray x = TestData.normal(4, DataType.DOUBLE, 2, 5, 4);
        NdOps ops = NdOps.of(model.params(), DataType.DOUBLE);
        EncoderBlock block = model.blocks().get(0);
        assertEquals(0.0, TestData.maxAbsDiff(block.conformer().apply(ops, x, null, false), block.apply(ops, x, null, false)));
    }

    /** Training uses the batch's statistics and moves the running ones; evaluation uses the running ones and repeats exactly. */
    @Test
    void evaluationAndTrainingModesDiffer() {
        SpeechEncoder model = new SpeechEncoder(tiny(BlockKind.CONFORMER, 0.1), DataType.DOUBLE, 5);
        INDArray x = TestData.normal(6, DataType.DOUBLE, 2, 15, 7).muli(2).addi(1);
        int[] lengths = {15, 15};
        INDArray eval1 = model.logits(x, lengths);
        INDArray eval2 = model.logits(x, lengths);
        assertEquals(0.0, TestData.maxAbsDiff(eval1, eval2));
        INDArray runningBefore = model.params().get("blocks.0.conv.bn.running_mean").dup();
        INDArray train = model.logits(NdOps.of(model.params(), DataType.DOUBLE), x, lengths, true);
        assertTrue(TestData.maxAbsDiff(train, eval1) > 1e-6, "training mode should normalise with the batch statistics");
        assertTrue(TestData.maxAbsDiff(runningBefore, model.params().get("blocks.0.conv.bn.running_mean")) > 0, "running mean not updated");
        assertTrue(TestData.maxAbsDiff(eval1, model.logits(x, lengths)) > 0, "evaluation should read the updated running statistics");
    }

    /** In evaluation, what fills a shorter utterance's padding changes none of its valid output frames. */
    @Test
    void paddingDoesNotReachValidFrames() {
        for (BlockKind kind : BlockKind.values()) {
            SpeechEncoder model = new SpeechEncoder(tiny(kind, 0.0), DataType.DOUBLE, 7);
            INDArray x = TestData.normal(8, DataType.DOUBLE, 2, 23, 7);
            int[] lengths = {23, 15};
            INDArray changed = x.dup();
            changed.get(NDArrayIndex.point(1), NDArrayIndex.interval(15, 23), NDArrayIndex.all()).assign(TestData.normal(9, DataType.DOUBLE, 8, 7).muli(5));
            INDArray a = model.logits(x, lengths), b = model.logits(changed, lengths);
            int valid = SpeechEncoder.outputLengths(lengths)[1];
            assertEquals(3, valid);
            INDArray va = a.get(NDArrayIndex.point(1), NDArrayIndex.interval(0, valid), NDArrayIndex.all());
            INDArray vb = b.get(NDArrayIndex.point(1), NDArrayIndex.interval(0, valid), NDArrayIndex.all());
            assertTrue(TestData.maxAbsDiff(va, vb) < 1e-12, kind + ": padding leaked into valid frames");
        }
    }

    /**
     * A fixed synthetic batch: each label's frames carry its own random pattern (plus noise), a silent gap
     * between labels. CTC training drives the loss down and greedy decoding in evaluation mode reads the targets
     * exactly; the same seeds give the same loss curve.
     */
    @Test
    void overfitsAFixedBatchDeterministically() {
        int mel = 8, vocab = 5;
        int[][] targets = {{1, 2, 3}, {4, 4, 1}, {2, 1}, {3, 3, 4}};
        CtcBatch batch = syntheticBatch(targets, mel, vocab, 11);
        SpeechEncoderConfig config = new SpeechEncoderConfig(BlockKind.CONFORMER, mel, vocab, 16, 2, 32, 3, 1, 4, 0.0);
        TrainConfig train = TrainConfig.defaults().withSteps(120).withLearningRate(5e-3).withWarmup(10);
        double[][] losses = new double[2][];
        SpeechEncoder last = null;
        for (int run = 0; run < 2; run++) {
            SpeechEncoder model = new SpeechEncoder(config, 12);
            History h = new CtcTrainer(model, train).fit(step -> batch, "overfit");
            losses[run] = h.column(History.LOSS);
            last = model;
        }
        assertArrayEquals(losses[0], losses[1], "same seeds, same batches: the same loss curve");
        double first = losses[0][0], end = losses[0][losses[0].length - 1];
        assertTrue(end < 0.15 && end < first / 20, "loss fell from " + first + " to " + end);
        CtcTrainer.CtcEvaluation eval = CtcTrainer.evaluate(last, new CtcLoss(), List.of(batch), "_abcd");
        assertEquals(List.of("abc", "dda", "ba", "ccd"), eval.references());
        assertEquals(eval.references(), eval.hypotheses());
        assertEquals(0.0, eval.cer());
        assertEquals(0.0, eval.wer());
    }

    /** With dropout on and validation batches: the History's validation columns are filled, and seeds fix the run. */
    @Test
    void fitValidatesAndRepeatsWithDropout() {
        int[][] targets = {{1, 2}, {3, 3}};
        CtcBatch batch = syntheticBatch(targets, 8, 5, 21);
        CtcBatch other = syntheticBatch(new int[][] {{2, 4}, {1}}, 8, 5, 22);
        SpeechEncoderConfig config = new SpeechEncoderConfig(BlockKind.CONFORMER, 8, 5, 8, 2, 16, 3, 1, 2, 0.2);
        TrainConfig train = TrainConfig.defaults().withSteps(4).withWarmup(1).withEvaluation(2, 1);
        double[][] losses = new double[2][], val = new double[2][];
        for (int run = 0; run < 2; run++) {
            CtcTrainer trainer = new CtcTrainer(new SpeechEncoder(config, 23), train);
            History h = trainer.fit(step -> step % 2 == 0 ? batch : other, List.of(batch, other), "_abcd", "dropout");
            assertEquals(4, trainer.step());
            losses[run] = h.column(History.LOSS);
            val[run] = h.column(History.VAL_LOSS);
            double[][] rows = h.validationRows();
            assertEquals(2, rows.length);
            assertEquals(4.0, rows[1][0]);
            assertTrue(Double.isFinite(rows[1][1]) && rows[1][2] <= 1, "val loss " + rows[1][1] + ", 1 − CER " + rows[1][2]);
        }
        assertArrayEquals(losses[0], losses[1]);
        assertArrayEquals(val[0], val[1]);
    }

    /** Label k's frames: pattern k + noise, 8 frames each, 4 quiet frames between and around; padded with zeros. */
    static CtcBatch syntheticBatch(int[][] targets, int mel, int vocab, long seed) {
        Random r = new Random(seed);
        double[][] patterns = new double[vocab][mel];
        for (double[] p : patterns) for (int i = 0; i < mel; i++) p[i] = 2 * r.nextGaussian();
        int perLabel = 8, gap = 4;
        int[] lengths = Arrays.stream(targets).mapToInt(t -> gap + t.length * (perLabel + gap)).toArray();
        int frames = Arrays.stream(lengths).max().orElseThrow();
        INDArray features = Nd4j.zeros(DataType.FLOAT, targets.length, frames, mel);
        for (int b = 0; b < targets.length; b++) {
            for (int t = 0; t < lengths[b]; t++) {
                int slot = t - gap, label = slot >= 0 && slot % (perLabel + gap) < perLabel ? targets[b][slot / (perLabel + gap)] : 0;
                for (int i = 0; i < mel; i++) features.putScalar(new long[] {b, t, i}, (label == 0 ? 0 : patterns[label][i]) + 0.3 * r.nextGaussian());
            }
        }
        return CtcBatch.of(features, lengths, targets);
    }

    static void assertMessage(Runnable r, String... words) {
        SpeechLayersTest.assertMessage(r, words);
    }

    @Test
    void badInputIsRejectedWithItsNameAndValue() {
        SpeechEncoder model = new SpeechEncoder(tiny(BlockKind.CONFORMER, 0.0), DataType.DOUBLE, 13);
        INDArray x = Nd4j.zeros(DataType.DOUBLE, 2, 15, 7);
        assertMessage(() -> model.logits(x, new int[] {15, 6}), "frameLengths[1] = 6", "at least 7 frames for utterance 1");
        assertMessage(() -> model.logits(x, new int[] {16, 15}), "frameLengths[0] = 16", "at most 15");
        assertMessage(() -> model.logits(x, new int[] {15}), "frameLengths", "2 lengths");
        assertMessage(() -> model.logits(Nd4j.zeros(DataType.DOUBLE, 0, 15, 7), new int[0]), "features", "at least one utterance");
        assertMessage(() -> model.logits(Nd4j.zeros(DataType.DOUBLE, 2, 0, 7), new int[] {0, 0}), "features", "at least one frame");
        assertMessage(() -> model.logits(Nd4j.zeros(DataType.DOUBLE, 2, 15, 8), new int[] {15, 15}), "melBins = 8", "7 on axis 2");
        NdOps ops = NdOps.of(model.params(), DataType.DOUBLE);
        // 15 frames leave 3: "aab" needs 4 (a blank between the a's), i.e. at least 19 input frames
        assertMessage(() -> model.loss(ops, x, new int[] {15, 15}, CtcLoss.padTargets(new int[][] {{1}, {1, 1, 2}}), new int[] {1, 3}, false, new CtcLoss()),
            "frameLengths[1] = 15", "at least 19 input frames for utterance 1", "leave 3", "need 4");
        assertMessage(() -> new SpeechEncoderConfig(BlockKind.CONV_ONLY, 7, 1, 4, 2, 8, 3, 1, 2, 0.0), "vocabSize = 1");
        assertMessage(() -> new SpeechEncoderConfig(BlockKind.CONFORMER, 7, 4, 4, 2, 8, 4, 1, 2, 0.0), "kernel = 4", "odd");
        assertMessage(() -> CtcBatch.of(Nd4j.zeros(DataType.FLOAT, 2, 15, 7), new int[] {15}, new int[][] {{1}, {2}}), "frameLengths", "2 lengths");
        assertEquals(19, SpeechEncoder.minimumInputFrames(4));
        assertEquals(4, ConvSubsampling.outputLength(19));
        assertEquals(3, ConvSubsampling.outputLength(18));
    }
}
