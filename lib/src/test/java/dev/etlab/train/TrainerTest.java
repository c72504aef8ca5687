package dev.etlab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.attention.AdaptiveSpan;
import dev.etlab.data.Batch;
import dev.etlab.data.CopyTask;
import dev.etlab.data.ListOps;
import dev.etlab.data.Split;
import dev.etlab.data.Task;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.ParamStore;
import dev.etlab.nn.TransformerModel;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TrainerTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static ModelConfig tiny(Task task) {
        return task.smallModel().withLayers(1).withWidth(32, 2, 64);
    }

    @Test
    void sameSeedsGiveTheSameLossCurve() {
        Task task = CopyTask.copy(8, 1);
        TrainConfig cfg = TrainConfig.defaults().withSteps(6).withBatchSize(8);
        double[] a = new Trainer(TransformerModel.create(tiny(task).withDropout(0.1), 3), task, cfg).fit().column(History.LOSS);
        double[] b = new Trainer(TransformerModel.create(tiny(task).withDropout(0.1), 3), task, cfg).fit().column(History.LOSS);
        assertArrayEquals(a, b, "same model seed and train seed, same losses");
        double[] c = new Trainer(TransformerModel.create(tiny(task).withDropout(0.1), 3), task, cfg.withSeed(2)).fit().column(History.LOSS);
        assertTrue(!java.util.Arrays.equals(a, c), "another train seed draws other batches");
    }

    @Test
    void learnsToCopyAShortSequence() {
        Task task = CopyTask.copy(8, 1);
        Trainer t = new Trainer(TransformerModel.create(tiny(task), 1), task,
            TrainConfig.defaults().withSteps(200).withBatchSize(16).withEvaluation(100, 2));
        History h = t.fit();
        Evaluation test = t.evaluate(Split.TEST);
        assertTrue(test.accuracy() > 0.9, "copy accuracy on the test split after 200 steps: " + test);
        assertTrue(test.accuracy() > task.majorityBaseline(Split.TEST) + 0.5, "far above the majority baseline");
        assertEquals(200, h.size());
        assertEquals(2, h.validationRows().length, "validated at steps 100 and 200");
        double[] lr = h.column(History.LR);
        assertEquals(3e-3 / 40, lr[0], 1e-12, "warm-up starts from lr / warmup");
    }

    @Test
    void classifierTrainsOnPaddedListOps() {
        Task task = ListOps.of(24, 1);
        Trainer t = new Trainer(TransformerModel.create(tiny(task), 1), task, TrainConfig.defaults().withSteps(4).withBatchSize(8));
        History h = t.fit();
        assertTrue(Double.isFinite(h.column(History.LOSS)[3]));
        Evaluation e = t.evaluate(Split.VALIDATION);
        assertEquals(256, e.predictions());
    }

    @Test
    void learningRateWarmsUpLinearlyThenDecaysByCosine() {
        TrainConfig c = TrainConfig.defaults().withSteps(100).withWarmup(10).withLearningRate(1.0);
        assertEquals(0.1, c.learningRateAt(1), 1e-12);
        assertEquals(1.0, c.learningRateAt(10), 1e-12);
        assertEquals(0.1 + 0.9 * 0.5, c.learningRateAt(55), 1e-12, "half-way through the decay: mean of max and min");
        assertEquals(0.1, c.learningRateAt(100), 1e-12);
    }

    @Test
    void adamWFirstStepMovesEachWeightByLrAgainstTheGradientSignPlusDecay() {
        ParamStore p = new ParamStore(DataType.DOUBLE, 1);
        p.declare("w", (s, t, r) -> Nd4j.create(new double[][] {{1.0, -2.0}}), 1, 2);
        p.declare("b", (s, t, r) -> Nd4j.create(new double[] {0.5}), 1);
        TrainConfig c = TrainConfig.defaults().withWeightDecay(0.1);
        new AdamW(p, c).step(Map.of("w", Nd4j.create(new double[][] {{0.3, -0.7}}), "b", Nd4j.create(new double[] {2.0})), 0.01);
        // first step: m̂ = g, v̂ = g², so m̂/(√v̂+ε) = sign(g); decay 0.1·θ on the matrix only
        assertEquals(1.0 - 0.01 * (1 + 0.1 * 1.0), p.get("w").getDouble(0, 0), 1e-9);
        assertEquals(-2.0 - 0.01 * (-1 + 0.1 * -2.0), p.get("w").getDouble(0, 1), 1e-9);
        assertEquals(0.5 - 0.01, p.get("b").getDouble(0), 1e-9);
    }

    @Test
    void adamWJavaLoopEqualsItsNd4jTwinOverSeveralSteps() {
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            ParamStore a = new ParamStore(type, 3), b = new ParamStore(type, 3);
            for (ParamStore p : new ParamStore[] {a, b}) {
                p.declare("w", (s, t, r) -> dev.etlab.TestData.normal(1, t, s), 5, 7);
                p.declare("bias", (s, t, r) -> dev.etlab.TestData.normal(2, t, s), 7);
            }
            AdamW loop = new AdamW(a, TrainConfig.defaults()), twin = new AdamW(b, TrainConfig.defaults());
            for (int step = 0; step < 5; step++) {
                INDArray gw = dev.etlab.TestData.normal(10 + step, type, 7, 5).transpose();   // a transposed view, as the tape hands out
                INDArray gb = dev.etlab.TestData.normal(20 + step, type, 7);
                loop.step(Map.of("w", gw, "bias", gb), 3e-3);
                twin.stepWithNd4j(Map.of("w", gw, "bias", gb), 3e-3);
            }
            double tol = type == DataType.DOUBLE ? 1e-12 : 1e-6;
            for (String n : new String[] {"w", "bias"}) {
                double diff = dev.etlab.TestData.maxAbsDiff(a.get(n), b.get(n));
                assertTrue(diff < tol, type + " " + n + ": Java loop and ND4J twin differ by " + diff);
            }
            assertTrue(dev.etlab.TestData.maxAbsDiff(a.get("w"), new ParamStore(type, 3).declare("w", (s, t, r) -> dev.etlab.TestData.normal(1, t, s), 5, 7)) > 1e-3,
                "the weights did move");
        }
    }

    @Test
    void clippingRescalesToTheMaximumGlobalNorm() {
        Map<String, INDArray> g = Map.of("a", Nd4j.create(new double[] {3, 0}), "b", Nd4j.create(new double[] {0, 4}));
        assertEquals(5.0, AdamW.clipGlobalNorm(g, 1.0), 1e-12);
        assertEquals(0.6, g.get("a").getDouble(0), 1e-9);
        assertEquals(0.8, g.get("b").getDouble(1), 1e-9);
    }

    @Test
    void mismatchedModelAndTaskAreRefused() {
        Task task = CopyTask.copy(16, 1);
        var len = assertThrows(IllegalArgumentException.class,
            () -> new Trainer(TransformerModel.create(task.smallModel().withMaxLen(8), 1), task, TrainConfig.defaults()));
        assertEquals("model maxLen = 8: expected at least the task's sequence length 16", len.getMessage());
        var head = assertThrows(IllegalArgumentException.class,
            () -> new Trainer(TransformerModel.create(ListOps.of(16, 1).smallModel(), 1), task, TrainConfig.defaults()));
        assertEquals("model head = CLASSIFIER: expected CAUSAL_LM to match task copy-16", head.getMessage());
        assertEquals("steps = 0: expected a positive integer",
            assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().withSteps(0)).getMessage());
    }

    @Test
    void configRejectsAnInfiniteEpsilonAndAWarmUpLongerThanTheRun() {
        TrainConfig d = TrainConfig.defaults();
        assertEquals("adamEps = Infinity: expected a positive finite number (Adam's ε, e.g. 1e-8)",
            assertThrows(IllegalArgumentException.class, () -> new TrainConfig(d.steps(), d.batchSize(), d.learningRate(), d.warmupSteps(),
                d.minLrFraction(), d.weightDecay(), d.beta1(), d.beta2(), Double.POSITIVE_INFINITY, d.clipNorm(), d.evalEvery(),
                d.evalBatches(), d.seed())).getMessage());
        assertEquals("weightDecay = Infinity: expected 0 or a positive finite number",
            assertThrows(IllegalArgumentException.class, () -> d.withWeightDecay(Double.POSITIVE_INFINITY)).getMessage());
        assertEquals("warmupSteps = 600: expected at most steps = 500 (a warm-up longer than the run never reaches the peak learning rate)",
            assertThrows(IllegalArgumentException.class, () -> d.withWarmup(600)).getMessage());
        assertEquals(500, d.withWarmup(500).warmupSteps(), "a warm-up of the whole run is allowed");
        assertEquals(20, d.withSteps(100).warmupSteps(), "withSteps shortens the warm-up to fit");
    }

    @Test
    void attentionLayersAddTheirLossTermAndActAfterEachStep() {
        Task task = CopyTask.copy(8, 1);
        TrainConfig cfg = TrainConfig.defaults().withSteps(4).withBatchSize(8);
        AdaptiveSpan.Config span = new AdaptiveSpan.Config(8, 2, 0.3, 0.0, 1, false);
        Trainer free = new Trainer(TransformerModel.create(tiny(task).withAttention(span), 3), task, cfg);
        Trainer penalised = new Trainer(TransformerModel.create(tiny(task).withAttention(span.withPenalty(0.5)), 3), task, cfg);
        Batch batch = task.trainBatch(8, 0);
        Trainer.Step a = free.forwardBackward(batch), b = penalised.forwardBackward(batch);
        assertEquals(a.loss(), b.loss(), 0.0, "the reported loss is the task loss alone");
        // the penalty coef·S·mean(z) adds coef·S/H = 0.5·8/2 = 2 to each dL/dz_h, and nothing to the other gradients
        INDArray dz = b.gradients().get("blocks.0.attn.z").sub(a.gradients().get("blocks.0.attn.z"));
        assertArrayEquals(new double[] {2, 2}, dz.toDoubleVector(), 1e-5);
        assertEquals(0.0, b.gradients().get("blocks.0.attn.wq").sub(a.gradients().get("blocks.0.attn.wq")).amaxNumber().doubleValue());
        // after each step z is clamped to [0, 1]: a large penalty drives z = 0.004 below 0 within two steps of lr 3e-3
        Trainer clamped = new Trainer(TransformerModel.create(tiny(task).withAttention(span.withInitialSpan(0.004).withPenalty(10)), 3),
            task, cfg);
        clamped.fit();
        assertArrayEquals(new double[] {0, 0}, clamped.model().params().get("blocks.0.attn.z").toDoubleVector(), "z clamped at 0");
    }
}
