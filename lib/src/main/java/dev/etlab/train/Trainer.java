package dev.etlab.train;

import dev.etlab.Check;
import dev.etlab.Lab;
import dev.etlab.data.Batch;
import dev.etlab.data.Split;
import dev.etlab.data.Task;
import dev.etlab.nn.Head;
import dev.etlab.nn.Losses;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.TransformerModel;
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

/**
 * Trains a {@link TransformerModel} on a {@link Task} for a fixed step budget with AdamW, warm-up +
 * cosine learning rate, global-norm clipping and periodic validation. The forward and backward
 * pass run on the eager tape ({@link TapeOps}, lib/PERFORMANCE.md says why not SameDiff);
 * validation runs the eager path without a tape. Same model seed + same {@link TrainConfig#seed} → the same loss curve on a CPU.
 */
public final class Trainer {
    private final TransformerModel model;
    private final Task task;
    private final TrainConfig config;
    private final Optimization optimization;
    private java.util.function.Consumer<Map<String, INDArray>> gradientHook = grads -> {};
    private int step;

    public Trainer(TransformerModel model, Task task, TrainConfig config) {
        ModelConfig m = model.config();
        Check.arg(m.head() == task.head(), "model head", m.head(), task.head() + " to match task " + task.name());
        Check.arg(m.vocabSize() >= task.vocabSize(), "model vocabSize", m.vocabSize(), "at least the task's " + task.vocabSize());
        Check.arg(m.maxLen() >= task.seqLen(), "model maxLen", m.maxLen(), "at least the task's sequence length " + task.seqLen());
        Check.arg(m.numClasses() == task.numClasses(), "model numClasses", m.numClasses(), task.numClasses() + " (the task's)");
        this.model = model;
        this.task = task;
        this.config = config;
        this.optimization = new Optimization(model.params(), config);
    }

    public TransformerModel model() { return model; }
    public TrainConfig config() { return config; }

    /**
     * Calls {@code hook} with every step's gradients (name → gradient, modifiable in place) before
     * clipping and the update: a pruning mask keeps pruned weights at zero this way. Returns this trainer.
     */
    public Trainer onGradients(java.util.function.Consumer<Map<String, INDArray>> hook) {
        Check.arg(hook != null, "hook", null, "a consumer of the step's gradients");
        this.gradientHook = hook;
        return this;
    }

    /** Trains for {@link TrainConfig#steps} steps, labelled with the attention kind. */
    public History fit() {
        return fit(model.config().attention().kind());
    }

    /** Trains for {@link TrainConfig#steps} more steps; {@code label} names the run in tables and plots. */
    public History fit(String label) {
        Lab.init();
        History history = new History(label);
        long start = System.nanoTime();
        int last = step + config.steps();
        try (Progress bar = Progress.start("training " + label, config.steps())) {
            while (step < last) {
                step++;
                for (var block : model.blocks()) block.attention().beforeTrainingStep(model.params(), block.attentionPrefix(), step);
                Batch batch = task.trainBatch(config.batchSize(), step - 1);
                long t0 = System.nanoTime();
                double[] lossAcc = trainStep(batch);
                for (var block : model.blocks()) block.attention().afterTrainingStep(model.params(), block.attentionPrefix(), step);
                double seconds = (System.nanoTime() - t0) / 1e9;
                history.addStep(step, lossAcc[0], lossAcc[1], config.learningRateAt(step),
                    batch.size() * (double) batch.length() / seconds, (System.nanoTime() - start) / 1e9);
                if (step % config.evalEvery() == 0 || step == last) {
                    Evaluation val = evaluate(Split.VALIDATION, step == last ? Integer.MAX_VALUE : config.evalBatches());
                    history.addValidation(val.loss(), val.accuracy());
                }
                bar.update(config.steps() - (last - step), String.format("loss %.3f  acc %.3f", lossAcc[0], lossAcc[1]));
            }
        }
        return history;
    }

    /** One optimisation step on a batch; returns {loss, accuracy} of the batch before the update. */
    private double[] trainStep(Batch batch) {
        // every array of the step in one reused workspace; a reversible stack runs each block in a workspace of its own
        return StepMemory.run("etlab-train-step", () -> {
            Step s = forwardBackward(batch);
            Map<String, INDArray> grads = s.gradients();
            Optimization.finite(s.loss(), step);
            gradientHook.accept(grads);
            optimization.update(grads, step);
            return new double[] {s.loss(), accuracy(s.logits(), batch)[0]};
        });
    }

    /** Loss, logits and parameter gradients of one batch, with this step's dropout masks. */
    record Step(double loss, INDArray logits, Map<String, INDArray> gradients) {}

    /**
     * Forward and backward on the eager tape ({@link TapeOps}): the training engine. Dropout masks come
     * from the trainer's seeded generator in the order the forward pass asks for them.
     */
    Step forwardBackward(Batch batch) {
        DataType type = model.params().dataType();
        TapeOps ops = optimization.tape();
        Var tokens = ops.constant(batch.tokens().castTo(DataType.INT));
        Var pad = task.padded() ? ops.constant(batch.padMask().castTo(type)) : null;
        Var logits = model.logits(ops, tokens, pad);
        Var loss = task.head() == Head.CAUSAL_LM
            ? Losses.languageModelling(ops, logits, ops.constant(batch.targets().castTo(DataType.INT)), ops.constant(batch.lossMask().castTo(type)))
            : Losses.classification(ops, logits, ops.constant(batch.targets().castTo(DataType.INT)));
        ops.backward(withLayerTerms(ops, loss));
        return new Step(loss.value().getDouble(0), logits.value(), new HashMap<>(ops.paramGradients()));
    }

    /** The task loss plus each attention layer's own term ({@link dev.etlab.attention.Attention#trainingLoss}), the objective minimised. */
    private Var withLayerTerms(TapeOps ops, Var loss) {
        Var total = loss;
        for (var block : model.blocks()) {
            Var term = block.attention().trainingLoss(ops, block.attentionPrefix());
            if (term != null) total = ops.add(total, ops.reshape(term, loss.shape()));
        }
        return total;
    }

    /** Loss and accuracy over a whole held-out split (eager forward, no dropout). */
    public Evaluation evaluate(Split split) {
        return evaluate(split, Integer.MAX_VALUE);
    }

    /** As {@link #evaluate(Split)} over at most {@code maxBatches} batches. */
    public Evaluation evaluate(Split split, int maxBatches) {
        double lossSum = 0, correct = 0, count = 0;
        List<Batch> batches = task.heldOut(split, config.batchSize());
        for (Batch batch : batches.subList(0, Math.min(maxBatches, batches.size()))) {
            double[] lossAcc = StepMemory.run("etlab-eval-step", () -> {
                INDArray logits = model.logits(batch.tokens(), batch.padMask());
                NdOps ops = NdOps.of(model.params(), model.params().dataType());
                double[] acc = accuracy(logits, batch);
                INDArray loss = task.head() == Head.CAUSAL_LM
                    ? Losses.languageModelling(ops, logits, batch.targets(), batch.lossMask().castTo(logits.dataType()))
                    : Losses.classification(ops, logits, batch.targets());
                return new double[] {loss.getDouble(0), acc[0], acc[1]};
            });
            lossSum += lossAcc[0] * lossAcc[2];
            correct += lossAcc[1] * lossAcc[2];
            count += lossAcc[2];
        }
        return new Evaluation(lossSum / count, correct / count, (long) count);
    }

    /** {accuracy, number of counted predictions} of logits against a batch's targets. */
    static double[] accuracy(INDArray logits, Batch batch) {
        if (logits.rank() == 2) { // (B, C)
            int[] pred = logits.argMax(1).toIntVector();
            int[] gold = batch.targets().toIntVector();
            int right = 0;
            for (int i = 0; i < pred.length; i++) if (pred[i] == gold[i]) right++;
            return new double[] {right / (double) pred.length, pred.length};
        }
        int[][] pred = logits.argMax(2).toIntMatrix(); // (B, T)
        int[][] gold = batch.targets().toIntMatrix();
        float[][] mask = batch.lossMask().toFloatMatrix();
        double right = 0, n = 0;
        for (int i = 0; i < pred.length; i++)
            for (int j = 0; j < pred[i].length; j++)
                if (mask[i][j] > 0) { n++; if (pred[i][j] == gold[i][j]) right++; }
        return new double[] {n == 0 ? 0 : right / n, n};
    }
}
