package dev.etlab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.attention.AttentionConfig;
import dev.etlab.attention.AttentionRegistry;
import dev.etlab.data.Batch;
import dev.etlab.data.CopyTask;
import dev.etlab.data.ListOps;
import dev.etlab.data.Task;
import dev.etlab.nn.Head;
import dev.etlab.nn.Losses;
import dev.etlab.nn.TransformerModel;
import dev.etlab.tensor.SdOps;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training engine (the eager tape) against the engine it replaced (SameDiff's graph), for a whole
 * model with every registered mechanism: the same loss and gradients on one batch; and training stays
 * deterministic (same seeds, bit-identical loss curves, dropout on).
 */
class EngineEquivalenceTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static Stream<Arguments> mechanisms() {
        return AttentionRegistry.all().stream().map(e -> Arguments.of(e.kind(), e.defaults()));
    }

    /** Mechanisms a SameDiff graph can run (LSH hashes its inputs, so it runs on the eager engines only). */
    static Stream<Arguments> graphMechanisms() {
        return AttentionRegistry.all().stream().filter(e -> !e.defaults().needsEagerEngine()).map(e -> Arguments.of(e.kind(), e.defaults()));
    }

    static Stream<Arguments> eagerOnlyMechanisms() {
        return AttentionRegistry.all().stream().filter(e -> e.defaults().needsEagerEngine()).map(e -> Arguments.of(e.kind(), e.defaults()));
    }

    /** Where there is no graph to compare with, the whole model's tape gradients against central differences. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("eagerOnlyMechanisms")
    void tapeGradientsMatchFiniteDifferencesForTheWholeModel(String kind, AttentionConfig c) {
        Task task = taskFor(c);
        TransformerModel model = model(task, c, 0.0, DataType.DOUBLE);
        Batch batch = task.trainBatch(4, 0);
        INDArray pad = task.padded() ? batch.padMask().castTo(DataType.DOUBLE) : null;
        // a whole deep model: differences of about 1e-8 are round-off, so |numeric − analytic| ≤ 1e-6·max(1, |numeric|), this test's bound
        dev.etlab.nn.GradientCheck.Result r = new dev.etlab.nn.GradientCheck(1e-6, 5e-7, 1e-6, 12).eagerOnly().check(model.params(), batch.tokens().castTo(DataType.INT),
            new dev.etlab.nn.GradientCheck.Fn() {
                @Override
                public <T> T apply(dev.etlab.tensor.Ops<T> ops, T tokens) {
                    return model.logits(ops, tokens, pad == null ? null : ops.constant(pad));
                }
            }, 3);
        assertTrue(r.passed(), kind + ": " + r);
        assertTrue(r.checked() > 100, kind + ": enough elements checked: " + r);
    }

    /** A causal copy task where the mechanism has a causal form, else a padded classifier (ListOps). */
    static Task taskFor(AttentionConfig c) {
        return c.supportsCausal() ? CopyTask.copy(8, 1) : ListOps.of(24, 1);
    }

    static TransformerModel model(Task task, AttentionConfig c, double dropout, DataType type) {
        return TransformerModel.create(task.smallModel().withLayers(2).withWidth(16, 2, 32).withAttention(c).withDropout(dropout), 5, type);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("graphMechanisms")
    void tapeGradientsEqualSameDiffGradientsForTheWholeModel(String kind, AttentionConfig c) {
        Task task = taskFor(c);
        TransformerModel model = model(task, c, 0.0, DataType.DOUBLE);
        Batch batch = task.trainBatch(4, 0);
        Trainer trainer = new Trainer(model, task, TrainConfig.defaults().withSteps(1).withBatchSize(4));
        Trainer.Step tape = trainer.forwardBackward(batch);

        SameDiff sd = SameDiff.create();
        SdOps ops = new SdOps(sd, model.params(), DataType.DOUBLE, false);
        SDVariable tokens = ops.constant(batch.tokens().castTo(DataType.INT));
        SDVariable pad = task.padded() ? ops.constant(batch.padMask().castTo(DataType.DOUBLE)) : null;
        SDVariable logits = model.logits(ops, tokens, pad);
        SDVariable loss = task.head() == Head.CAUSAL_LM
            ? Losses.languageModelling(ops, logits, ops.constant(batch.targets().castTo(DataType.INT)), ops.constant(batch.lossMask().castTo(DataType.DOUBLE)))
            : Losses.classification(ops, logits, ops.constant(batch.targets().castTo(DataType.INT)));
        SDVariable objective = loss;                 // what the trainer minimises: plus each attention layer's own term
        for (var block : model.blocks()) {
            SDVariable term = block.attention().trainingLoss(ops, block.attentionPrefix());
            if (term != null) objective = ops.add(objective, term);
        }
        objective.markAsLoss();
        List<String> trainable = ops.paramNames().stream().filter(n -> model.params().all().get(n).trainable()).toList();
        Map<String, INDArray> graph = Lab.withoutGraphChatter(() -> sd.calculateGradients(Map.of(), trainable));
        double graphLoss = sd.output(Map.of(), loss.name()).get(loss.name()).getDouble(0);

        assertEquals(graphLoss, tape.loss(), 1e-12, kind + ": loss");
        assertEquals(new java.util.TreeSet<>(graph.keySet()), new java.util.TreeSet<>(tape.gradients().keySet()), kind + ": the same parameters get gradients");
        for (String name : graph.keySet()) {
            INDArray g = graph.get(name), t = tape.gradients().get(name);
            double diff = g.sub(t).amaxNumber().doubleValue(), scale = Math.max(1e-8, g.amaxNumber().doubleValue());
            assertTrue(Double.isFinite(t.sumNumber().doubleValue()), kind + " " + name + ": tape gradient not finite");
            assertTrue(diff <= 1e-9 * Math.max(1, scale), kind + " " + name + ": tape and SameDiff gradients differ by " + diff + " (max |g| " + scale + ")");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mechanisms")
    void sameSeedsGiveBitIdenticalLossCurvesWithDropout(String kind, AttentionConfig c) {
        Task task = taskFor(c);
        TrainConfig cfg = TrainConfig.defaults().withSteps(4).withBatchSize(4);
        double[] a = new Trainer(model(task, c, 0.1, DataType.FLOAT), task, cfg).fit().column(History.LOSS);
        double[] b = new Trainer(model(task, c, 0.1, DataType.FLOAT), task, cfg).fit().column(History.LOSS);
        assertArrayEquals(a, b, kind + ": same seeds, same losses to the bit");
        for (double v : a) assertTrue(Double.isFinite(v), kind + ": loss " + v);
    }
}
