package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.nn.Init;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;

/**
 * Pointwise (1 × 1) convolution over time: the same linear map of the channels at every frame,
 * y_t = x_t W + b, i.e. a linear layer on (B, T, Cin). Parameters {@code w} (Cin, Cout) and {@code b} (Cout).
 */
public record PointwiseConv(String prefix, int inChannels, int outChannels) {

    public PointwiseConv {
        Check.positive("inChannels", inChannels);
        Check.positive("outChannels", outChannels);
    }

    public void declare(ParamStore store) {
        store.declare(prefix + "w", Init.xavier(), inChannels, outChannels);
        store.declare(prefix + "b", Init.zeros(), outChannels);
    }

    /** x (B, T, Cin) → (B, T, Cout). */
    public <T> T apply(Ops<T> ops, T x) {
        return ops.linear(x, ops.param(prefix + "w"), ops.param(prefix + "b"));
    }
}
