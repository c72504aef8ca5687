package dev.etlab.train;

import dev.etlab.Check;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.TapeOps;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What every trainer's step shares, around its own forward pass and loss: a recording tape whose dropout masks come
 * from the trainer's seeded stream (so the same seed gives the same masks, step by step), the check that the loss
 * is finite, global-norm clipping and the AdamW update at the schedule's learning rate for the step.
 */
final class Optimization {
    private final ParamStore params;
    private final TrainConfig config;
    private final AdamW optimizer;
    private final Random dropoutRng;

    Optimization(ParamStore params, TrainConfig config) {
        this.params = params;
        this.config = config;
        this.optimizer = new AdamW(params, config);
        this.dropoutRng = new Random(config.seed() * 31 + 7);
    }

    /** A training tape over the parameters (the trainable ones get gradients), in their floating-point type. */
    TapeOps tape() {
        return TapeOps.training(params, name -> params.all().get(name).trainable(), params.dataType(), dropoutRng);
    }

    /** The step's loss, unless it is NaN or infinite, which throws. */
    static double finite(double loss, int step) {
        Check.arg(Double.isFinite(loss), "training loss at step " + step, loss, "a finite number (lower the learning rate?)");
        return loss;
    }

    /** Clips the gradients' global norm ({@link TrainConfig#clipNorm}) and takes one AdamW step at step's learning rate. */
    void update(Map<String, INDArray> gradients, int step) {
        AdamW.clipGlobalNorm(gradients, config.clipNorm());
        optimizer.step(gradients, config.learningRateAt(step));
    }
}
