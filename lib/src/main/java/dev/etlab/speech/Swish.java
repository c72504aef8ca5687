package dev.etlab.speech;

import dev.etlab.tensor.Ops;

/**
 * Swish (Ramachandran et al. 2017, https://arxiv.org/abs/1710.05941), with β = 1 (also called SiLU):
 * swish(x) = x · σ(x). The Conformer's activation in its feed-forward and convolution modules (Section 2.2, 2.3).
 */
public final class Swish {
    private Swish() {}

    /** Element-wise x · σ(x), any shape. */
    public static <T> T apply(Ops<T> ops, T x) {
        return ops.mul(x, ops.sigmoid(x));
    }
}
