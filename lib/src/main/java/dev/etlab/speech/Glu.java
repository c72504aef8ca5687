package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.tensor.Ops;
import java.util.Arrays;

/**
 * Gated linear unit (Dauphin et al. 2017, https://arxiv.org/abs/1612.08083, Eq. 1): the last axis is split
 * into halves a and b, GLU(a, b) = a ⊙ σ(b). Used after the first pointwise convolution of the Conformer's
 * convolution module (Gulati et al. 2020, Figure 2), which doubles the channels for it.
 */
public final class Glu {
    private Glu() {}

    /** x (..., 2C) → (..., C): the first half gated by the sigmoid of the second. */
    public static <T> T apply(Ops<T> ops, T x) {
        long[] s = ops.shape(x);
        long channels = s[s.length - 1];
        Check.arg(channels % 2 == 0, "channels", channels,
            "an even size on the last axis of x (shape " + Arrays.toString(s) + "), split into two halves a ⊙ σ(b)");
        long half = channels / 2;
        T a = ops.slice(x, -1, 0, half);
        T b = ops.slice(x, -1, half, channels);
        return ops.mul(a, ops.sigmoid(b));
    }
}
