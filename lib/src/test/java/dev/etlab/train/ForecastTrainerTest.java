package dev.etlab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.attention.LogSparse;
import dev.etlab.attention.Linformer;
import dev.etlab.data.ForecastData;
import dev.etlab.data.SeriesGenerator;
import dev.etlab.data.Split;
import dev.etlab.data.TimeSeries;
import dev.etlab.nn.ForecastModel;
import dev.etlab.nn.GradientCheck;
import dev.etlab.nn.ParamStore;
import dev.etlab.nn.QuantileLoss;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ForecastTrainerTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    @Test
    void quantileLossIsThePinballLoss() {
        assertEquals(0.9 * 2, QuantileLoss.pinball(3, 1, 0.9), 1e-12, "under-forecast costs ρ per unit");
        assertEquals(0.1 * 2, QuantileLoss.pinball(1, 3, 0.9), 1e-12, "over-forecast costs 1 − ρ per unit");
        double[][] truth = {{1, 2}, {3, 4}}, pred = {{2, 2}, {3, 0}};
        assertEquals(2 * (0.5 * 1 + 0.5 * 4) / 10, QuantileLoss.risk(truth, pred, 0.5), 1e-12);
        assertEquals((1 + 4) / 4.0, QuantileLoss.mae(truth, pred), 1e-12);
        // the tensor loss: (B, T, Q) predictions against (B, T) targets, masked mean of Σ_ρ P_ρ
        INDArray p = Nd4j.create(new double[] {0, 1, 2, 2, 5, 5}, new long[] {1, 3, 2});
        INDArray z = Nd4j.create(new double[] {1, 2, 9}, new long[] {1, 3});
        INDArray mask = Nd4j.create(new double[] {1, 1, 0}, new long[] {1, 3});
        double want = (QuantileLoss.pinball(1, 0, 0.5) + QuantileLoss.pinball(1, 1, 0.9) + QuantileLoss.pinball(2, 2, 0.5) + QuantileLoss.pinball(2, 2, 0.9)) / 2;
        INDArray got = QuantileLoss.loss(NdOps.of(new ParamStore(DataType.DOUBLE, 0), DataType.DOUBLE), p, z, mask, new double[] {0.5, 0.9});
        assertEquals(want, got.getDouble(0), 1e-12);
    }

    static ForecastModel.Config tiny(int features, int maxLen) {
        return ForecastModel.Config.of(features, maxLen).withWidth(16, 2, 32).withAttention(LogSparse.Config.of(2, 3));
    }

    @Test
    void modelAndLossGradientsMatchFiniteDifferences() {
        ForecastModel model = ForecastModel.create(tiny(3, 12).withLayers(1), 2, DataType.DOUBLE);
        INDArray x = TestData.normal(3, DataType.DOUBLE, 2, 12, 3);
        INDArray z = TestData.normal(4, DataType.DOUBLE, 2, 12);
        INDArray mask = Nd4j.ones(DataType.DOUBLE, 2, 12);
        GradientCheck.Result r = new GradientCheck().check(model.params(), x, new GradientCheck.Fn() {
            @Override public <T> T apply(Ops<T> ops, T in) {
                return QuantileLoss.loss(ops, model.predict(ops, in), ops.constant(z), ops.constant(mask), new double[] {0.5, 0.9});
            }
        }, 6);
        assertTrue(r.passed(), r.toString());
        assertTrue(r.checked() > 60, r.toString());
    }

    @Test
    void theModelIsCausal() {
        ForecastModel model = ForecastModel.create(tiny(3, 20), 5, DataType.DOUBLE);
        INDArray x = TestData.normal(6, DataType.DOUBLE, 1, 20, 3);
        INDArray before = model.predict(x);
        INDArray changed = x.dup();
        changed.get(NDArrayIndex.all(), NDArrayIndex.interval(11, 20), NDArrayIndex.all()).addi(5);
        INDArray after = model.predict(changed);
        assertEquals(0, TestData.maxAbsDiff(before.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 11), NDArrayIndex.all()),
            after.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 11), NDArrayIndex.all())), 1e-12, "steps before 11 ignore the future");
        assertTrue(TestData.maxAbsDiff(before, after) > 1e-3, "later steps do see it");
    }

    static ForecastData sines(int count, long seed) {
        List<TimeSeries> s = new ArrayList<>();
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < count; i++) {
            double a = 1 + r.nextDouble() * 3, phase = r.nextDouble() * 6;
            double[] v = new double[24 * 7 * 3];
            for (int t = 0; t < v.length; t++) v[t] = 10 + a * Math.sin(2 * Math.PI * t / 24 + phase) + 0.05 * r.nextGaussian();
            s.add(new TimeSeries("sine-" + i, v, new int[] {24}));
        }
        return ForecastData.rolling("sines", s, 48, 12, 0.6, 0.2, seed);
    }

    @Test
    void trainingLearnsASeasonalSeriesAndForecastsDoNotPeekAtTheTruth() {
        ForecastData data = sines(4, 1);
        ForecastModel model = ForecastModel.create(tiny(data.features(), data.length()), 1);
        ForecastTrainer trainer = new ForecastTrainer(model, data, TrainConfig.defaults().withSteps(40).withBatchSize(8).withEvaluation(20, 2));
        double untrained = trainer.validationLoss(Integer.MAX_VALUE);
        History h = trainer.fit("logsparse");
        double trained = h.validationRows()[h.validationRows().length - 1][1];
        assertTrue(trained < 0.5 * untrained, "validation quantile loss " + untrained + " → " + trained);
        Forecasts f = trainer.forecast(Split.TEST, 8, "logsparse");
        assertEquals(8, f.windows());
        assertEquals(12, f.horizon());
        // a seasonal-naive forecast (the value one day earlier) is nearly perfect here; the model must be at least decent
        double[][] naive = new double[8][12];
        for (int i = 0; i < 8; i++) for (int h2 = 0; h2 < 12; h2++) naive[i][h2] = f.context()[i][48 - 24 + h2];
        double naiveMae = QuantileLoss.mae(f.truth(), naive);
        assertTrue(f.mae() < 0.5 * QuantileLoss.mae(f.truth(), constant(f.context(), 12)), "beats the context mean: " + f);
        assertTrue(naiveMae < 0.2, "the check itself is sound: " + naiveMae);
        assertTrue(f.risk(0.9) > 0 && f.risk(0.5) > 0);

        // change what happens over the horizon of each series' last test window (no other window's context reaches it):
        // the forecasts must not move
        List<ForecastData.Window> test = data.windows(Split.TEST);
        List<TimeSeries> altered = new ArrayList<>();
        for (int i = 0; i < data.series().size(); i++) {
            TimeSeries s = data.series().get(i);
            double[] v = s.values();
            final int series = i;
            ForecastData.Window last = test.stream().filter(w -> w.series() == series).reduce((a, b) -> b).orElseThrow();
            for (int t = last.start() + data.context(); t < last.start() + data.length(); t++) v[t] += 100;
            altered.add(new TimeSeries(s.name(), v, s.periods()));
        }
        ForecastData moved = ForecastData.rolling("sines", altered, 48, 12, 0.6, 0.2, 1);
        int all = test.size();
        Forecasts before = ForecastTrainer.forecast(model, data, Split.TEST, all, 8, "logsparse");
        Forecasts after = ForecastTrainer.forecast(model, moved, Split.TEST, all, 8, "logsparse");
        assertEquals(0, QuantileLoss.mae(before.quantile(0.5), after.quantile(0.5)), 1e-9, "forecasts depend only on the context");
        assertEquals(0, QuantileLoss.mae(before.quantile(0.9), after.quantile(0.9)), 1e-9);
        int lastOfFirst = 0;                                                    // index of series 0's last test window
        for (int i = 0; i < test.size(); i++) if (test.get(i).series() == 0) lastOfFirst = i;
        assertEquals(100, after.truth()[lastOfFirst][0] - before.truth()[lastOfFirst][0], 1e-9, "the truth did change");
    }

    static double[][] constant(double[][] context, int horizon) {
        double[][] out = new double[context.length][horizon];
        for (int i = 0; i < context.length; i++) java.util.Arrays.fill(out[i], java.util.Arrays.stream(context[i]).average().orElseThrow());
        return out;
    }

    @Test
    void badConfigurationsAreRejected() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ForecastModel.Config.of(3, 16).withAttention(Linformer.Config.of(8)))
            .getMessage().startsWith("attention = linformer: expected a mechanism with a causal form"), "a forecaster's attention must be causal");
        assertEquals("quantiles = [0.5, 1.0]: expected values in (0, 1)", assertThrows(IllegalArgumentException.class,
            () -> new ForecastModel.Config(3, new double[] {0.5, 1.0}, 16, 1, 2, 16, 32, 0, dev.etlab.nn.Positions.SINUSOIDAL,
                LogSparse.Config.of(1, 1))).getMessage());
        ForecastData data = sines(2, 2);
        ForecastModel wrong = ForecastModel.create(ForecastModel.Config.of(data.features() + 1, data.length()), 1);
        assertEquals("model features = 4: expected 3 (the data's: lagged value + covariates)",
            assertThrows(IllegalArgumentException.class, () -> new ForecastTrainer(wrong, data, TrainConfig.defaults())).getMessage());
        assertArrayEquals(new double[] {0.5, 0.9}, ForecastModel.Config.of(3, 8).quantiles());
    }

    @Test
    void attentionLayersPenaltyAndClampApplyToForecastersToo() {
        ForecastData data = sines(2, 3);
        // a large span penalty drives z = 0.004 below 0 within two steps of lr 3e-3: the clamp after each step holds it at 0
        var span = new dev.etlab.attention.AdaptiveSpan.Config(12, 2, 0.004, 10, 1, false);
        ForecastModel model = ForecastModel.create(tiny(data.features(), data.length()).withLayers(1).withAttention(span), 4, DataType.FLOAT);
        new ForecastTrainer(model, data, TrainConfig.defaults().withSteps(4).withBatchSize(4)).fit("adaptive span");
        assertArrayEquals(new double[] {0, 0}, model.params().get("blocks.0.attn.z").toDoubleVector());
    }
}
