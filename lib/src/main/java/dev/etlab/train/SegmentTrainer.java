package dev.etlab.train;

import dev.etlab.Check;
import dev.etlab.Lab;
import dev.etlab.data.Batch;
import dev.etlab.data.SegmentStreams;
import dev.etlab.nn.Losses;
import dev.etlab.nn.TransformerModel;
import dev.etlab.nn.TransformerXL;
import dev.etlab.nn.TransformerXL.Memory;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.StepMemory;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import dev.etlab.viz.Progress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Trains a segment-recurrent language model ({@link TransformerXL}) the way Dai et al. 2019 do (Section 3.2):
 * step s reads segment s of B parallel streams through the corpus ({@link SegmentStreams}), and every
 * layer's states of the step before are carried in as memory, with stop-gradient (constants on the tape),
 * so the model learns to use context beyond the segment while each backward pass stays within one segment.
 * The memory is cleared when the streams start over. AdamW, warm-up + cosine schedule, clipping and the
 * seed as in {@link Trainer}; the batch size is the number of streams.
 *
 * <p>The static {@code evaluate} methods read held-out streams segment by segment: the XL model with a
 * memory of any length (longer than in training, say), the vanilla model with none (each segment alone:
 * the context fragmentation of Section 3.1), and report the loss at every position of the segment.
 */
public final class SegmentTrainer {
    private final TransformerXL model;
    private final SegmentStreams data;
    private final TrainConfig config;
    private final Optimization optimization;
    private Memory memory = Memory.none();
    private int step;

    public SegmentTrainer(TransformerXL model, SegmentStreams data, TrainConfig config) {
        Check.arg(model != null, "model", null, "a TransformerXL");
        Check.arg(data != null, "data", null, "SegmentStreams over a corpus split");
        Check.arg(config != null, "config", null, "a TrainConfig");
        Check.arg(config.batchSize() == data.streams(), "batchSize", config.batchSize(),
            "the number of streams, " + data.streams() + " (each batch row is one stream)");
        Check.arg(data.segmentLength() <= model.config().segmentLength(), "segmentLength", data.segmentLength(),
            "at most the model's segmentLength = " + model.config().segmentLength());
        Check.arg(data.vocabSize() <= model.config().vocabSize(), "model vocabSize", model.config().vocabSize(),
            "at least the corpus's " + data.vocabSize());
        this.model = model;
        this.data = data;
        this.config = config;
        this.optimization = new Optimization(model.params(), config);
    }

    public TransformerXL model() { return model; }

    /** The memory the next step starts with. */
    public Memory memory() { return memory; }

    /** Trains for {@link TrainConfig#steps} more steps; {@code label} names the run in tables and plots. */
    public History fit(String label) {
        Lab.init();
        History history = new History(label);
        long start = System.nanoTime();
        int last = step + config.steps();
        try (Progress bar = Progress.start("training " + label, config.steps())) {
            while (step < last) {
                if (data.startsOver(step)) memory = Memory.none();
                Batch batch = data.segment(step);
                step++;
                long t0 = System.nanoTime();
                double[] lossAcc = StepMemory.run("etlab-train-step", () -> trainStep(batch));
                double seconds = (System.nanoTime() - t0) / 1e9;
                history.addStep(step, lossAcc[0], lossAcc[1], config.learningRateAt(step),
                    batch.size() * (double) batch.length() / seconds, (System.nanoTime() - start) / 1e9);
                bar.update(config.steps() - (last - step), String.format("loss %.3f  memory %d", lossAcc[0], memory.length()));
            }
        }
        return history;
    }

    private double[] trainStep(Batch batch) {
        DataType type = model.params().dataType();
        TapeOps ops = optimization.tape();
        List<Var> kept = memory.isEmpty() ? null : memory.layers().stream().map(ops::constant).toList(); // SG(m): constants
        TransformerXL.Output<Var> out = model.forward(ops, ops.constant(batch.tokens().castTo(DataType.INT)), kept);
        Var loss = Losses.languageModelling(ops, out.logits(), ops.constant(batch.targets().castTo(DataType.INT)),
            ops.constant(batch.lossMask().castTo(type)));
        ops.backward(loss);
        double value = loss.value().getDouble(0);
        Optimization.finite(value, step);
        Map<String, INDArray> grads = new HashMap<>(ops.paramGradients());
        optimization.update(grads, step);
        memory = TransformerXL.nextMemory(memory, out.hiddens().stream().map(Var::value).toList(), model.config().memoryLength());
        return new double[] {value, Trainer.accuracy(out.logits().value(), batch)[0]};
    }

    /**
     * Held-out loss of a segment-by-segment reading.
     *
     * @param overall        loss (nats), accuracy and count over every prediction read
     * @param lossByPosition mean loss (nats) at each position 0..L−1 of the segment
     */
    public record SegmentEvaluation(Evaluation overall, double[] lossByPosition) {
        public double bits() {
            return overall.bits();
        }

        /** {@link #lossByPosition} in bits. */
        public double[] bitsByPosition() {
            double[] b = lossByPosition.clone();
            for (int i = 0; i < b.length; i++) b[i] /= Math.log(2);
            return b;
        }
    }

    /**
     * The XL model over the first {@code maxSegments} segments of {@code data} (all if larger), carrying a memory
     * of {@code memoryLength} states per layer from segment to segment (0: every segment alone).
     */
    public static SegmentEvaluation evaluate(TransformerXL model, SegmentStreams data, int memoryLength, int maxSegments) {
        Check.arg(memoryLength >= 0, "memoryLength", memoryLength, "0 (no memory) or a positive number of kept states");
        Memory[] memory = {Memory.none()};
        return read(data, maxSegments, (index, batch) -> {
            TransformerXL.Step s = model.step(batch.tokens(), memory[0], memoryLength);
            memory[0] = s.memory();
            return s.logits();
        });
    }

    /** The vanilla model over the same segments: each segment alone, from its first character (no memory). */
    public static SegmentEvaluation evaluate(TransformerModel vanilla, SegmentStreams data, int maxSegments) {
        return read(data, maxSegments, (index, batch) -> vanilla.logits(batch.tokens()));
    }

    /**
     * The vanilla model's best reading, the evaluation of Al-Rfou et al. that Transformer-XL is compared with
     * (Dai et al. 2019, Section 3.1): every character predicted from the L characters before it, across segment
     * boundaries, with one forward pass per position — L passes per segment. In the first segment a window
     * holds what there is (position i: i + 1 characters), as in {@link #evaluate(TransformerModel, SegmentStreams, int)}.
     */
    public static SegmentEvaluation evaluateSlidingWindow(TransformerModel vanilla, SegmentStreams data, int maxSegments) {
        int length = data.segmentLength();
        Check.arg(length <= vanilla.config().maxLen(), "segmentLength", length, "at most the model's maxLen = " + vanilla.config().maxLen());
        return read(data, maxSegments, (index, batch) -> {
            INDArray before = index == 0 ? null : data.segment(index - 1).tokens();                 // (B, L)
            List<INDArray> last = new java.util.ArrayList<>();
            for (int i = 0; i < length; i++) {
                INDArray current = batch.tokens().get(NDArrayIndex.all(), NDArrayIndex.interval(0, i + 1));
                INDArray window = before == null ? current.dup()
                    : Nd4j.concat(1, before.get(NDArrayIndex.all(), NDArrayIndex.interval(i + 1, length)), current);  // (B, L), ends at position i
                INDArray logits = vanilla.logits(window);                                          // (B, |window|, V)
                last.add(logits.get(NDArrayIndex.all(), NDArrayIndex.interval(logits.size(1) - 1, logits.size(1)), NDArrayIndex.all()));
            }
            return Nd4j.concat(1, last.toArray(INDArray[]::new));                                  // (B, L, V)
        });
    }

    private static SegmentEvaluation read(SegmentStreams data, int maxSegments, BiFunction<Integer, Batch, INDArray> logitsOf) {
        Lab.init();
        Check.positive("maxSegments", maxSegments);
        int n = Math.min(maxSegments, data.segments()), length = data.segmentLength();
        double[] byPosition = new double[length];
        double correct = 0, count = 0;
        try (Progress bar = Progress.start("evaluating", n)) {
            for (int s = 0; s < n; s++) {
                Batch batch = data.segment(s);
                int index = s;
                double[] r = StepMemory.run("etlab-eval-step", () -> {
                    INDArray logits = logitsOf.apply(index, batch);                                                   // (B, L, V)
                    NdOps ops = NdOps.of(null, logits.dataType());
                    INDArray logProbs = ops.logSoftmax(logits, -1);
                    INDArray nll = ops.neg(ops.sum(ops.mul(ops.oneHot(batch.targets(), (int) logits.size(2)), logProbs), false, -1)); // (B, L)
                    double[] out = new double[length + 2];
                    double[] perPosition = nll.sum(0).castTo(DataType.DOUBLE).toDoubleVector();
                    System.arraycopy(perPosition, 0, out, 0, length);
                    double[] acc = Trainer.accuracy(logits, batch);
                    out[length] = acc[0] * acc[1];
                    out[length + 1] = acc[1];
                    return out;
                });
                for (int i = 0; i < length; i++) byPosition[i] += r[i];
                correct += r[length];
                count += r[length + 1];
                bar.update(s + 1, "");
            }
        }
        double total = 0;
        for (int i = 0; i < length; i++) {
            total += byPosition[i];
            byPosition[i] /= n * (double) data.streams();
        }
        return new SegmentEvaluation(new Evaluation(total / count, correct / count, (long) count), byPosition);
    }
}
