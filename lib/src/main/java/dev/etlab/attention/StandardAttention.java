package dev.etlab.attention;

import dev.etlab.tensor.Ops;

/**
 * Scaled dot-product attention, the baseline every other mechanism is measured against.
 * Vaswani et al. 2017, "Attention Is All You Need", https://arxiv.org/abs/1706.03762
 *
 * <pre>Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V        (Eq. 1)</pre>
 * Time and memory are O(T²) per head: the (T, T) score matrix is the wall the other methods attack.
 */
public final class StandardAttention extends MultiHeadAttention {

    /** Standard attention has no parameters of its own. */
    public record Config() implements AttentionConfig {
        @Override public String kind() { return "standard"; }
        @Override public Attention build(AttentionDims dims) { return new StandardAttention(this, dims); }
    }

    private final Config config;

    public StandardAttention(Config config, AttentionDims dims) {
        super(dims);
        this.config = config;
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    protected <T> T attend(Ops<T> ops, String prefix, T q, T k, T v, T keyPadding) {
        long t = ops.size(q, 2);
        long s = ops.size(k, 2);
        T scores = ops.mul(ops.matmul(q, k, false, true), 1.0 / Math.sqrt(dims.headDim())); // (B, H, T, S)  Eq. (1)
        if (dims.causal()) {
            scores = ops.add(scores, ops.constant(Masks.causalBias(t, s, ops.dataType())));
        }
        if (keyPadding != null) {
            scores = ops.add(scores, Masks.paddingBias(ops, keyPadding));
        }
        T probs = ops.softmax(scores, -1);                                                    // (B, H, T, S)
        ops.record(prefix + "probs", probs);
        return ops.matmul(probs, v);                                                          // (B, H, T, Dh)
    }
}
