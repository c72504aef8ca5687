package dev.etlab.train;

import dev.etlab.Check;
import dev.etlab.Lab;
import dev.etlab.data.ForecastBatch;
import dev.etlab.data.ForecastData;
import dev.etlab.data.Split;
import dev.etlab.nn.ForecastModel;
import dev.etlab.nn.QuantileLoss;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.StepMemory;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import dev.etlab.viz.Progress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Trains a {@link ForecastModel} on {@link ForecastData} with the quantile loss, teacher-forced (every step
 * predicts the next from the true past), with the {@link Trainer}'s AdamW, schedule and clipping; validates on
 * the same loss; and forecasts held-out windows autoregressively ({@link #forecast}): over the horizon the
 * model's own median is fed back as the next input, as in deployment. Validation during training (every
 * {@code evalEvery} steps and after the last) covers the first {@code evalBatches} validation batches. History columns: {@code loss} and
 * {@code val_loss} are the quantile loss (standardised units); the accuracy columns are NaN.
 */
public final class ForecastTrainer {
    private final ForecastModel model;
    private final ForecastData data;
    private final TrainConfig config;
    private final Optimization optimization;
    private int step;

    public ForecastTrainer(ForecastModel model, ForecastData data, TrainConfig config) {
        Check.arg(model.config().features() == data.features(), "model features", model.config().features(),
            data.features() + " (the data's: lagged value + covariates)");
        Check.arg(model.config().maxLen() >= data.length(), "model maxLen", model.config().maxLen(),
            "at least the window length " + data.length());
        this.model = model;
        this.data = data;
        this.config = config;
        this.optimization = new Optimization(model.params(), config);
    }

    public ForecastModel model() { return model; }

    /** Trains for {@link TrainConfig#steps} more steps. */
    public History fit(String label) {
        Lab.init();
        History history = new History(label);
        long start = System.nanoTime();
        int last = step + config.steps();
        try (Progress bar = Progress.start("training " + label, config.steps())) {
            while (step < last) {
                step++;
                for (var block : model.blocks()) block.attention().beforeTrainingStep(model.params(), block.attentionPrefix(), step);
                ForecastBatch batch = data.trainBatch(config.batchSize(), step - 1);
                long t0 = System.nanoTime();
                double loss = trainStep(batch);
                for (var block : model.blocks()) block.attention().afterTrainingStep(model.params(), block.attentionPrefix(), step);
                double seconds = (System.nanoTime() - t0) / 1e9;
                history.addStep(step, loss, Double.NaN, config.learningRateAt(step), batch.size() * (double) batch.length() / seconds,
                    (System.nanoTime() - start) / 1e9);
                if (step % config.evalEvery() == 0 || step == last) {
                    history.addValidation(validationLoss(config.evalBatches()), Double.NaN);
                }
                bar.update(config.steps() - (last - step), String.format("quantile loss %.3f", loss));
            }
        }
        return history;
    }

    /** One step on the eager tape ({@link TapeOps}) inside the step's workspace ({@link StepMemory}). */
    private double trainStep(ForecastBatch batch) {
        return StepMemory.run("etlab-forecast-step", () -> {
            DataType type = model.params().dataType();
            TapeOps ops = optimization.tape();
            Var predicted = model.predict(ops, ops.constant(batch.inputs().castTo(type)));
            Var lossVar = QuantileLoss.loss(ops, predicted, ops.constant(batch.targets().castTo(type)),
                ops.constant(batch.lossMask().castTo(type)), model.config().quantiles());
            double loss = lossVar.value().getDouble(0);
            Optimization.finite(loss, step);
            Var objective = lossVar;                      // plus each attention layer's own term (Attention.trainingLoss)
            for (var block : model.blocks()) {
                Var term = block.attention().trainingLoss(ops, block.attentionPrefix());
                if (term != null) objective = ops.add(objective, ops.reshape(term, lossVar.shape()));
            }
            ops.backward(objective);
            Map<String, INDArray> grads = new HashMap<>(ops.paramGradients());
            optimization.update(grads, step);
            return loss;
        });
    }

    /** Teacher-forced quantile loss on the validation windows (eager, no dropout), over at most {@code maxBatches}. */
    public double validationLoss(int maxBatches) {
        NdOps ops = NdOps.of(model.params(), model.params().dataType());
        double sum = 0, weight = 0;
        List<ForecastBatch> batches = data.heldOut(Split.VALIDATION, config.batchSize(), Integer.MAX_VALUE);
        for (ForecastBatch batch : batches.subList(0, Math.min(maxBatches, batches.size()))) {
            DataType type = model.params().dataType();
            INDArray loss = QuantileLoss.loss(ops, model.predict(batch.inputs()), batch.targets().castTo(type),
                batch.lossMask().castTo(type), model.config().quantiles());
            double w = batch.lossMask().sumNumber().doubleValue();
            sum += loss.getDouble(0) * w;
            weight += w;
        }
        return sum / weight;
    }

    /**
     * Forecasts up to {@code maxWindows} windows of a split: the context is given, and each horizon step's
     * input is the model's median forecast of the step before (autoregressive, no peeking at the truth).
     */
    public Forecasts forecast(Split split, int maxWindows, String label) {
        return forecast(model, data, split, maxWindows, config.batchSize(), label);
    }

    /** As {@link #forecast(Split, int, String)} for any model and data. */
    public static Forecasts forecast(ForecastModel model, ForecastData data, Split split, int maxWindows, int batchSize, String label) {
        double[] quantiles = model.config().quantiles();
        int median = nearestToMedian(quantiles);
        int q = quantiles.length, c = data.context(), horizon = data.horizon();
        List<ForecastBatch> batches = data.heldOut(split, batchSize, maxWindows);
        List<ForecastData.Window> windows = data.windows(split);                             // in the batches' order
        int n = batches.stream().mapToInt(ForecastBatch::size).sum();
        double[][] context = new double[n][c], truth = new double[n][horizon];
        double[][][] predicted = new double[q][n][horizon];
        int row = 0;
        for (ForecastBatch batch : batches) {
            INDArray inputs = batch.inputs().dup();                                          // (B, T, F)
            double[] shift = batch.shift().toDoubleVector(), scale = batch.scale().toDoubleVector();
            for (int t = c; t < c + horizon; t++) {
                INDArray out = model.predict(inputs.get(NDArrayIndex.all(), NDArrayIndex.interval(0, t + 1), NDArrayIndex.all())); // (B, t+1, Q)
                INDArray now = out.get(NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all());                                  // (B, Q)
                if (t + 1 < c + horizon) {
                    inputs.get(NDArrayIndex.all(), NDArrayIndex.point(t + 1), NDArrayIndex.point(0))
                        .assign(now.get(NDArrayIndex.all(), NDArrayIndex.point(median)).castTo(inputs.dataType()));
                }
                double[][] values = now.castTo(DataType.DOUBLE).toDoubleMatrix();
                for (int i = 0; i < batch.size(); i++) {
                    for (int k = 0; k < q; k++) predicted[k][row + i][t - c] = values[i][k] * scale[i] + shift[i];
                }
            }
            for (int i = 0; i < batch.size(); i++) {                                       // truth and context: the raw series
                double[] raw = data.values(windows.get(row + i));
                System.arraycopy(raw, 0, context[row + i], 0, c);
                System.arraycopy(raw, c, truth[row + i], 0, horizon);
            }
            row += batch.size();
        }
        return new Forecasts(label, context, truth, quantiles, predicted);
    }

    private static int nearestToMedian(double[] quantiles) {
        int best = 0;
        for (int i = 1; i < quantiles.length; i++) if (Math.abs(quantiles[i] - 0.5) < Math.abs(quantiles[best] - 0.5)) best = i;
        return best;
    }
}
