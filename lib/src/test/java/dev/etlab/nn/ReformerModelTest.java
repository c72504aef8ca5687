package dev.etlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.attention.AttentionConfig;
import dev.etlab.attention.LshAttention;
import dev.etlab.attention.StandardAttention;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A model with the Reformer's pieces: reversible blocks (recompute = keeping activations) and a chunked feed-forward. */
class ReformerModelTest {
    static final int V = 13, T = 12;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static ModelConfig config(AttentionConfig attention, int layers) {
        return ModelConfig.languageModel(V, T).withWidth(16, 2, 32).withLayers(layers).withAttention(attention);
    }

    record Run(double loss, Map<String, INDArray> gradients, int tapeLength, long keptBytes) {}

    /** One forward and backward on the tape, dropout on (seeded), L = Σ logits ⊙ R. */
    static Run run(TransformerModel m, INDArray tokens, long dropoutSeed) {
        TapeOps tape = TapeOps.training(m.params(), n -> m.params().all().get(n).trainable(), DataType.DOUBLE, new Random(dropoutSeed));
        Var logits = m.logits(tape, tape.constant(tokens), null);
        INDArray r = TestData.normal(99, DataType.DOUBLE, logits.shape());
        Var loss = tape.sum(tape.mul(logits, tape.constant(r)), false);
        int length = tape.tapeLength();
        long kept = tape.keptBytes();
        tape.backward(loss);
        return new Run(loss.value().getDouble(0), new TreeMap<>(tape.paramGradients()), length, kept);
    }

    static AttentionConfig attention(String kind) {
        return kind.equals("lsh") ? LshAttention.Config.of(4, 2, 4) : new StandardAttention.Config();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"standard", "lsh"})
    void recomputingFromOutputsGivesTheGradientsOfKeepingEveryActivation(String kind) {
        ModelConfig c = config(attention(kind), 3).withReversible(true).withDropout(0.2);
        TransformerModel recompute = TransformerModel.create(c, 4, DataType.DOUBLE);
        TransformerModel keep = TransformerModel.create(c, 4, DataType.DOUBLE);
        keep.recomputeReversible = false;
        INDArray tokens = TestData.tokens(5, V, 2, T);
        Run a = run(recompute, tokens, 6), b = run(keep, tokens, 6);
        assertEquals(b.loss(), a.loss(), 1e-12, "same forward pass (dropout masks included)");
        assertEquals(b.gradients().keySet(), a.gradients().keySet());
        for (String name : a.gradients().keySet()) {
            double diff = TestData.maxAbsDiff(a.gradients().get(name), b.gradients().get(name));
            assertTrue(diff < 1e-9, kind + " " + name + ": recomputed and kept gradients differ by " + diff);
        }
        double norm = a.gradients().values().stream().mapToDouble(g -> g.norm2Number().doubleValue()).sum();
        assertTrue(norm > 1e-3, "gradients reach the parameters");
        assertTrue(b.tapeLength() > 5 * a.tapeLength(), "the reversible stack is one operation on the tape: "
            + a.tapeLength() + " vs " + b.tapeLength() + " operations kept");
        TransformerModel deeper = TransformerModel.create(config(attention(kind), 6).withReversible(true).withDropout(0.2), 4, DataType.DOUBLE);
        Run deep = run(deeper, tokens, 6);
        assertEquals(a.tapeLength(), deep.tapeLength(), "operations kept do not grow with depth (3 vs 6 layers)");
        assertEquals(a.keptBytes(), deep.keptBytes(), "activation bytes kept do not grow with depth (3 vs 6 layers)");
        TransformerModel ordinary3 = TransformerModel.create(config(attention(kind), 3), 4, DataType.DOUBLE);
        TransformerModel ordinary6 = TransformerModel.create(config(attention(kind), 6), 4, DataType.DOUBLE);
        long kept3 = run(ordinary3, tokens, 6).keptBytes(), kept6 = run(ordinary6, tokens, 6).keptBytes();
        assertTrue(kept6 > 1.6 * kept3 && kept3 > 2 * a.keptBytes(), "ordinary blocks keep activations per layer: "
            + kept3 + " B at 3 layers, " + kept6 + " B at 6, reversible " + a.keptBytes() + " B");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"standard", "lsh"})
    void reversibleModelGradientsMatchFiniteDifferences(String kind) {
        TransformerModel m = TransformerModel.create(config(attention(kind), 2).withReversible(true).withFeedForwardChunks(3), 7, DataType.DOUBLE);
        INDArray tokens = TestData.tokens(8, V, 2, T);
        // a whole deep model: differences of about 1e-8 are round-off, so |numeric − analytic| ≤ 1e-6·max(1, |numeric|), this test's bound
        GradientCheck.Result r = new GradientCheck(1e-6, 5e-7, 1e-6, 12).eagerOnly().check(m.params(), tokens, new GradientCheck.Fn() {
            @Override
            public <X> X apply(dev.etlab.tensor.Ops<X> ops, X in) {
                return m.logits(ops, in, null);
            }
        }, 9);
        assertTrue(r.passed(), kind + ": " + r);
        assertTrue(r.checked() > 100, "enough elements checked: " + r);
    }

    @ParameterizedTest(name = "chunks={0}")
    @ValueSource(ints = {2, 5, 12})
    void chunkedFeedForwardGivesTheSameLogitsAndGradients(int chunks) {
        ModelConfig c = config(new StandardAttention.Config(), 2);
        TransformerModel whole = TransformerModel.create(c, 9, DataType.DOUBLE);
        TransformerModel chunked = TransformerModel.create(c.withFeedForwardChunks(chunks), 9, DataType.DOUBLE);
        INDArray tokens = TestData.tokens(10, V, 2, T);
        assertTrue(TestData.maxAbsDiff(whole.logits(tokens), chunked.logits(tokens)) < 1e-12);
        Run a = run(whole, tokens, 0), b = run(chunked, tokens, 0);
        for (String name : a.gradients().keySet()) {
            assertTrue(TestData.maxAbsDiff(a.gradients().get(name), b.gradients().get(name)) < 1e-10, name);
        }
    }

    @org.junit.jupiter.api.Test
    void badChunkCountsAreRejectedWithAMessageNamingThem() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> config(new StandardAttention.Config(), 2).withFeedForwardChunks(0));
        assertTrue(e.getMessage().contains("feedForwardChunks") && e.getMessage().contains("0"), e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void theTrainerTrainsAReversibleModelAsItTrainsTheSameModelKeepingActivations() {
        // the trainer's step workspace with a block workspace nested in it: gradients must survive the blocks
        var task = new dev.etlab.data.DuplicationTask(T, 6, 1);
        ModelConfig c = task.smallModel().withWidth(16, 2, 32).withLayers(3).withReversible(true).withDropout(0.1)
            .withAttention(LshAttention.Config.of(4, 2, 4));
        var cfg = dev.etlab.train.TrainConfig.defaults().withSteps(5).withBatchSize(4).withWarmup(1);
        TransformerModel keep = TransformerModel.create(c, 3);
        keep.recomputeReversible = false;
        double[] a = new dev.etlab.train.Trainer(TransformerModel.create(c, 3), task, cfg).fit().column(dev.etlab.train.History.LOSS);
        double[] b = new dev.etlab.train.Trainer(keep, task, cfg).fit().column(dev.etlab.train.History.LOSS);
        for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-4 * Math.max(1, Math.abs(b[i])), "loss at step " + (i + 1));
        assertTrue(a[a.length - 1] != a[0], "the parameters moved");
    }
}
