package dev.etlab.attention;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Scaled dot-product attention, the baseline every other mechanism is measured against.
 * Vaswani et al. 2017, "Attention Is All You Need", https://arxiv.org/abs/1706.03762
 *
 * <pre>Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V        (Eq. 1)</pre>
 * Time and memory are O(T²) per head: the (T, T) score matrix is the wall the other methods attack.
 */
public final class StandardAttention extends SoftmaxAttention {

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

    /** Causal: keys after the query are masked. */
    @Override
    protected INDArray maskBias(long queries, long keys, DataType type) {
        return dims.causal() ? Masks.causalBias(queries, keys, type) : null;
    }
}
