package dev.etlab.nn;

import dev.etlab.tensor.Ops;

/**
 * Layer normalisation over the last axis (Ba et al. 2016, https://arxiv.org/abs/1607.06450):
 * y = (x − mean) / √(var + ε) · γ + β.
 */
public record LayerNorm(String prefix, int dim, double eps) {

    public LayerNorm(String prefix, int dim) {
        this(prefix, dim, 1e-5);
    }

    public void declare(ParamStore store) {
        store.declare(prefix + "gain", Init.ones(), dim);
        store.declare(prefix + "bias", Init.zeros(), dim);
    }

    /** x (..., dim) → (..., dim). */
    public <T> T apply(Ops<T> ops, T x) {
        return ops.layerNorm(x, ops.param(prefix + "gain"), ops.param(prefix + "bias"), eps);
    }
}
