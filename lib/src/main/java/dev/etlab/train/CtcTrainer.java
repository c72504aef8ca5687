package dev.etlab.train;

import dev.etlab.Check;
import dev.etlab.Lab;
import dev.etlab.speech.CtcBatch;
import dev.etlab.speech.CtcDecoding;
import dev.etlab.speech.CtcLoss;
import dev.etlab.speech.EditDistance;
import dev.etlab.speech.SpeechEncoder;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.StepMemory;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import dev.etlab.viz.Progress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Trains a {@link SpeechEncoder} with the CTC loss ({@link CtcLoss}) on batches from a caller's
 * {@link BatchSource}, with the {@link Trainer}'s AdamW, warm-up + cosine schedule and global-norm clipping
 * ({@link TrainConfig}: its batch size is the source's business and unused here). Training runs on the eager
 * tape with BatchNorm's batch statistics and dropout; evaluation ({@link #evaluate}) runs eagerly with the
 * running statistics and no dropout, and decodes greedily ({@link CtcDecoding#greedy}). Same model seed, same
 * {@link TrainConfig#seed} and the same batches → the same loss curve on a CPU.
 *
 * <p>History columns: {@code loss} is the training batch's CTC loss; {@code accuracy} is NaN;
 * {@code tokens_per_s} counts input frames (B·T) per second; {@code val_loss} is the CTC loss on the
 * validation batches and {@code val_accuracy} is 1 − CER there (character accuracy; negative when the
 * hypotheses insert more than the references hold).
 */
public final class CtcTrainer {

    /** Supplies training batches: the one for step {@code step} (0-based, counting from the first fit). */
    @FunctionalInterface
    public interface BatchSource {
        CtcBatch next(int step);
    }

    /**
     * What an evaluation measured: the mean CTC loss (weighted by utterances), character and word errors
     * over the whole set (total edits / total reference units), and the transcripts, in batch order.
     */
    public record CtcEvaluation(double loss, EditDistance.ErrorRate characterErrors, EditDistance.ErrorRate wordErrors,
                                List<String> references, List<String> hypotheses) {
        public double cer() { return characterErrors.rate(); }
        public double wer() { return wordErrors.rate(); }
    }

    private final SpeechEncoder model;
    private final TrainConfig config;
    private final CtcLoss ctc;
    private final Optimization optimization;
    private int step;

    /** CTC averaged over the batch's utterances ({@link CtcLoss.Reduction#MEAN}), infeasible utterances throwing. */
    public CtcTrainer(SpeechEncoder model, TrainConfig config) {
        this(model, config, new CtcLoss());
    }

    public CtcTrainer(SpeechEncoder model, TrainConfig config, CtcLoss ctc) {
        Check.arg(model != null, "model", null, "a SpeechEncoder");
        Check.arg(config != null, "config", null, "a TrainConfig");
        Check.arg(ctc != null, "ctc", null, "a CtcLoss");
        this.model = model;
        this.config = config;
        this.ctc = ctc;
        this.optimization = new Optimization(model.params(), config);
    }

    public SpeechEncoder model() { return model; }
    public TrainConfig config() { return config; }
    /** Steps taken so far. */
    public int step() { return step; }

    /** Trains for {@link TrainConfig#steps} more steps without validation. */
    public History fit(BatchSource source, String label) {
        return fit(source, List.of(), null, label);
    }

    /**
     * Trains for {@link TrainConfig#steps} more steps; every {@code evalEvery} steps and after the last, evaluates
     * on the first {@code evalBatches} of {@code validation} (all of them after the last step).
     *
     * @param alphabet label k is {@code alphabet.charAt(k)} ({@link CtcDecoding#text}); may be null without validation
     */
    public History fit(BatchSource source, List<CtcBatch> validation, String alphabet, String label) {
        Check.arg(source != null, "source", null, "a BatchSource");
        Check.arg(validation.isEmpty() || alphabet != null, "alphabet", null, "the labels' characters, to score the validation batches");
        Lab.init();
        History history = new History(label);
        long start = System.nanoTime();
        int last = step + config.steps();
        try (Progress bar = Progress.start("training " + label, config.steps())) {
            while (step < last) {
                CtcBatch batch = source.next(step);
                long t0 = System.nanoTime();
                double loss = trainStep(batch);
                double seconds = (System.nanoTime() - t0) / 1e9;
                history.addStep(step, loss, Double.NaN, config.learningRateAt(step),
                    batch.size() * (double) batch.features().size(1) / seconds, (System.nanoTime() - start) / 1e9);
                if (!validation.isEmpty() && (step % config.evalEvery() == 0 || step == last)) {
                    int n = step == last ? validation.size() : Math.min(config.evalBatches(), validation.size());
                    CtcEvaluation val = evaluate(validation.subList(0, n), alphabet);
                    history.addValidation(val.loss(), 1 - val.cer());
                }
                bar.update(config.steps() - (last - step), String.format("CTC loss %.3f", loss));
            }
        }
        return history;
    }

    /**
     * One optimisation step on a batch (training mode: batch statistics, dropout), at the learning rate of the
     * next step of the schedule; returns the batch's loss before the update.
     */
    public double trainStep(CtcBatch batch) {
        step++;
        return StepMemory.run("etlab-ctc-step", () -> {
            DataType type = model.params().dataType();
            TapeOps ops = optimization.tape();
            Var loss = model.loss(ops, ops.constant(batch.features().castTo(type)), batch.frameLengths(), batch.targets(),
                batch.targetLengths(), true, ctc);
            double value = loss.value().getDouble(0);
            Optimization.finite(value, step);
            ops.backward(loss);
            Map<String, INDArray> grads = new HashMap<>(ops.paramGradients());
            optimization.update(grads, step);
            return value;
        });
    }

    /** Loss, CER and WER over batches in evaluation mode (running statistics, no dropout), greedy decoding. */
    public CtcEvaluation evaluate(List<CtcBatch> batches, String alphabet) {
        return evaluate(model, ctc, batches, alphabet);
    }

    /** As {@link #evaluate(List, String)} for any model. */
    public static CtcEvaluation evaluate(SpeechEncoder model, CtcLoss ctc, List<CtcBatch> batches, String alphabet) {
        Check.arg(alphabet != null, "alphabet", null, "the labels' characters (label k is alphabet.charAt(k))");
        List<String> references = new ArrayList<>(), hypotheses = new ArrayList<>();
        double lossSum = 0;
        long utterances = 0;
        for (CtcBatch batch : batches) {
            double loss = StepMemory.run("etlab-ctc-eval", () -> {
                DataType type = model.params().dataType();
                NdOps ops = NdOps.of(model.params(), type);
                INDArray logits = model.logits(ops, batch.features().castTo(type), batch.frameLengths(), false);
                int[][] decoded = CtcDecoding.greedy(logits, SpeechEncoder.outputLengths(batch.frameLengths()));
                int[][] truth = batch.labels();
                for (int b = 0; b < decoded.length; b++) {
                    references.add(CtcDecoding.text(truth[b], alphabet));
                    hypotheses.add(CtcDecoding.text(decoded[b], alphabet));
                }
                double[] per = ctc.compute(logits, SpeechEncoder.outputLengths(batch.frameLengths()), batch.targets(), batch.targetLengths()).perUtterance();
                double sum = 0;
                for (double v : per) sum += v;
                return sum;
            });
            lossSum += loss;
            utterances += batch.size();
        }
        return new CtcEvaluation(lossSum / Math.max(1, utterances), EditDistance.characterErrors(references, hypotheses),
            EditDistance.wordErrors(references, hypotheses), List.copyOf(references), List.copyOf(hypotheses));
    }
}
