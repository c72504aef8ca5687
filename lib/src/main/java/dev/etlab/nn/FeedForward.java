package dev.etlab.nn;

import dev.etlab.tensor.Ops;

/** Position-wise feed-forward network: FFN(x) = GELU(x W1 + b1) W2 + b2 (Vaswani et al. 2017, Eq. 2, with GELU). */
public record FeedForward(String prefix, int dModel, int dFf) {

    public void declare(ParamStore store) {
        store.declare(prefix + "w1", Init.xavier(), dModel, dFf);
        store.declare(prefix + "b1", Init.zeros(), dFf);
        store.declare(prefix + "w2", Init.xavier(), dFf, dModel);
        store.declare(prefix + "b2", Init.zeros(), dModel);
    }

    /** x (B, T, D) → (B, T, D). */
    public <T> T apply(Ops<T> ops, T x) {
        T hidden = ops.gelu(ops.linear(x, ops.param(prefix + "w1"), ops.param(prefix + "b1"))); // (B, T, F)
        return ops.linear(hidden, ops.param(prefix + "w2"), ops.param(prefix + "b2"));
    }
}
