package dev.etlab.nn;

import dev.etlab.tensor.Ops;

/**
 * Token embedding as a one-hot matrix product, onehot(tokens) · E. A table lookup (SameDiff's
 * {@code gather}) would be cheaper, but its backward pass fails in ND4J 1.0.0-M2.1; the product
 * has the same forward value and a gradient SameDiff can compute (Eᵀ-side of a matmul).
 */
public record Embedding(String prefix, int vocabSize, int dModel) {

    public void declare(ParamStore store) {
        store.declare(prefix + "weight", Init.normal(0.02), vocabSize, dModel); // (V, D)
    }

    /** tokens (B, T) integer ids → (B, T, D). */
    public <T> T apply(Ops<T> ops, T tokens) {
        return ops.linear(ops.oneHot(tokens, vocabSize), ops.param(prefix + "weight"));
    }
}
