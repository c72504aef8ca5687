package dev.etlab.bench;

import dev.etlab.Lab;
import dev.etlab.attention.Attention;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.SdOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
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
     * A SameDiff graph of the layer with loss L = Σ out ⊙ R for a fixed random R (so every output
     * element gets its own gradient), differentiated with respect to every trainable parameter and
     * the input. The input is a graph variable rather than a placeholder because SameDiff 1.0.0-M2.1
     * returns no gradient for placeholders. The gradient function is created here, untimed.
     */
    static final class ForwardBackward extends Workload {
        private final SameDiff sd = SameDiff.create();
        private final List<String> wrt = new ArrayList<>();

        ForwardBackward(BenchmarkSetup setup, int length) {
            super(setup, length);
            SdOps g = new SdOps(sd, params, DataType.FLOAT, false);
            SDVariable input = g.track(sd.var("x", x), x.shape());
            SDVariable out = attention.apply(g, PREFIX, input, null);                   // (B, T, D)
            INDArray r = Nd4j.randn(DataType.FLOAT, g.shape(out));                     // (B, T, D)
            SDVariable loss = sd.sum(out.mul(g.constant(r)));
            loss.markAsLoss();
            for (String name : g.paramNames()) if (params.all().get(name).trainable()) wrt.add(name);
            wrt.add("x");
            Lab.withoutGraphChatter(() -> {
                sd.createGradFunction();
                return null;
            });
        }

        @Override
        void runOnce() {
            Map<String, INDArray> grads = Lab.withoutGraphChatter(() -> sd.calculateGradients(Map.of(), wrt));
            if (grads.size() != wrt.size()) {
                throw new IllegalStateException("gradients for " + grads.keySet() + ": expected one for each of " + wrt);
            }
        }
    }
}
