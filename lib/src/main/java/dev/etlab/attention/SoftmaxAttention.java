package dev.etlab.attention;

import dev.etlab.tensor.Ops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * softmax(QKᵀ/√d + bias)V over the full (T × S) score matrix, where the additive bias says which
 * pairs are masked. {@link StandardAttention} masks the future (if causal); {@link DenseMaskAttention}
 * masks whatever a sparse pattern forbids — and, like every dense version, still pays O(T·S).
 */
abstract class SoftmaxAttention extends MultiHeadAttention {

    SoftmaxAttention(AttentionDims dims) {
        super(dims);
    }

    /** (1, 1, T, S) additive bias (0 allowed, {@link Masks#NEG} masked), or null for none. */
    protected abstract INDArray maskBias(long queries, long keys, DataType type);

    @Override
    protected <T> T attend(Ops<T> ops, String prefix, T q, T k, T v, T keyPadding) {
        T scores = ops.mul(ops.matmul(q, k, false, true), 1.0 / Math.sqrt(dims.headDim())); // (B, H, T, S)  Eq. (1)
        INDArray bias = maskBias(ops.size(q, 2), ops.size(k, 2), ops.dataType());
        if (bias != null) scores = ops.add(scores, ops.constant(bias));
        if (keyPadding != null) scores = ops.add(scores, Masks.paddingBias(ops, keyPadding));
        T probs = ops.softmax(scores, -1);                                                    // (B, H, T, S)
        ops.record(prefix + "probs", probs);
        return ops.matmul(probs, v);                                                          // (B, H, T, Dh)
    }
}
