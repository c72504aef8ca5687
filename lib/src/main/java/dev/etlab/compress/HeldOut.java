package dev.etlab.compress;

import dev.etlab.Check;
import dev.etlab.data.Batch;
import dev.etlab.data.Split;
import dev.etlab.data.Task;
import dev.etlab.nn.Head;
import dev.etlab.nn.Losses;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.StepMemory;
import dev.etlab.train.Evaluation;
import java.util.List;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Loss, bits per character and accuracy of any next-token logits function on a held-out split:
 * what {@link dev.etlab.train.Trainer#evaluate} computes, for forwards it does not know (an int8
 * kernel, a head-pruned model).
 */
public final class HeldOut {
    private HeldOut() {}

    /**
     * @param logits tokens (B, T) → (B, T, V)
     */
    public static Evaluation languageModel(UnaryOperator<INDArray> logits, Task task, Split split, int batchSize, int maxBatches) {
        Check.arg(task.head() == Head.CAUSAL_LM, "task", task.name(), "a language-modelling task");
        Check.positive("maxBatches", maxBatches);
        double lossSum = 0, correct = 0, count = 0;
        List<Batch> batches = task.heldOut(split, batchSize);
        for (Batch batch : batches.subList(0, Math.min(maxBatches, batches.size()))) {
            double[] r = StepMemory.run("etlab-heldout-step", () -> {
                INDArray z = logits.apply(batch.tokens());                                     // (B, T, V)
                INDArray mask = batch.lossMask().castTo(z.dataType());
                double loss = Losses.languageModelling(NdOps.of(name -> null, z.dataType()), z, batch.targets(), mask).getDouble(0);
                INDArray right = z.argMax(2).castTo(DataType.INT).eq(batch.targets().castTo(DataType.INT)).castTo(z.dataType()).mul(mask);
                return new double[] {loss, right.sumNumber().doubleValue(), mask.sumNumber().doubleValue()};
            });
            lossSum += r[0] * r[2];
            correct += r[1];
            count += r[2];
        }
        return new Evaluation(lossSum / count, correct / count, (long) count);
    }
}
