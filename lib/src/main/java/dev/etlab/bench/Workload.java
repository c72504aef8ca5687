package dev.etlab.bench;

import dev.etlab.attention.Attention;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The work one benchmark point times, prepared once (layer, parameters, input, graph: not timed)
 * and then run repeatedly. float32 throughout, no padding mask.
 */
abstract class Workload {
    static final String PREFIX = "attn.";

    protected final Attention attention;
    protected final ParamStore params;
    protected final INDArray x;

    private Workload(BenchmarkSetup setup, int length) {
        attention = setup.attention().build(setup.dimsAt(length));
        params = new ParamStore(DataType.FLOAT, setup.seed());
        attention.declare(params, PREFIX);
        Nd4j.getRandom().setSeed(setup.seed() + 1);
        x = Nd4j.randn(DataType.FLOAT, setup.batch(), length, setup.dModel());      // (B, T, D)
    }

    /** Builds the workload of {@code mode} at sequence length {@code length}. */
    static Workload prepare(BenchmarkSetup setup, Mode mode, int length) {
        return mode == Mode.FORWARD ? new Forward(setup, length) : new ForwardBackward(setup, length);
    }

    /** One timed run; returns once every result has been computed (ND4J's CPU ops are synchronous). */
    abstract void runOnce();

    /** Eager {@link Attention#forward} on the random input. */
    static final class Forward extends Workload {
        Forward(BenchmarkSetup setup, int length) {
            super(setup, length);
        }

        @Override
        void runOnce() {
            attention.forward(params, PREFIX, x, null);
        }
    }

    /**
     * One training step's worth of work for the layer, on the engine that trains ({@link TapeOps}):
     * forward, loss L = Σ out ⊙ R for a fixed random R (so every output element gets its own
     * gradient), and the backward pass to every trainable parameter and the input. Outside a step
     * workspace (the trainer uses one), so that ND4J's allocation counter sees every array and the
     * peak is the live peak; the time then includes fresh allocations, which the trainer avoids.
     */
    static final class ForwardBackward extends Workload {
        private final INDArray r;

        ForwardBackward(BenchmarkSetup setup, int length) {
            super(setup, length);
            r = Nd4j.randn(DataType.FLOAT, x.shape());                                  // (B, T, D)
        }

        @Override
        void runOnce() {
            TapeOps tape = TapeOps.training(params, name -> params.all().get(name).trainable(), DataType.FLOAT, null);
            Var input = tape.leaf(x);
            Var out = attention.apply(tape, PREFIX, input, null);
            tape.backward(tape.sum(tape.mul(out, tape.constant(r)), false));
            if (input.grad() == null || tape.paramGradients().isEmpty()) {
                throw new IllegalStateException("no gradient reached the input or the parameters");
            }
        }
    }
}
