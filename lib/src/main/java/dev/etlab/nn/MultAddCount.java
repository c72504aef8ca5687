package dev.etlab.nn;

import dev.etlab.Check;
import dev.etlab.attention.AttentionConfig;
import dev.etlab.attention.AttentionDims;
import dev.etlab.attention.LongShortRangeAttention;
import dev.etlab.attention.StandardAttention;

/**
 * Multiply-adds per token of a model, the compute measure of the Lite Transformer paper (Wu et al. 2020, Section 4:
 * "Mult-Adds"), counted from the config: every matrix product contributes rows × inner size, a softmax-weighted
 * convolution tap one multiply-add per channel. Element-wise work (LayerNorm, activations, softmax, the GLU's gate,
 * residual additions) and the embedding look-up are not counted, as in the paper's counts.
 *
 * <p>For a sequence of n tokens a query sees (n + 1)/2 keys on average when causal, n when not.
 */
public final class MultAddCount {
    private MultAddCount() {}

    /** Per token, a whole model on sequences of {@code length}: blocks × (attention + FFN) + the output head. */
    public static double perToken(ModelConfig config, int length) {
        Check.arg(length >= 1 && length <= config.maxLen(), "length", length, "1 … maxLen = " + config.maxLen());
        double d = config.dModel();
        double ffn = 2 * d * config.dFf();                                            // x W1 (D × F), h W2 (F × D)
        double head = d * (config.head() == Head.CAUSAL_LM ? config.vocabSize() : 0); // a classifier's head is per sequence
        return config.layers() * (attention(config.attention(), config.attentionDims(), length) + ffn) + head;
    }

    /** Per token, one attention layer of {@code dims} on sequences of {@code length}. */
    public static double attention(AttentionConfig attention, AttentionDims dims, int length) {
        Check.positive("length", length);
        double keys = dims.causal() ? (length + 1) / 2.0 : length;
        double d = dims.dModel();
        if (attention instanceof StandardAttention.Config) {
            return 4 * d * d + 2 * d * keys;                                         // W_Q, W_K, W_V, W_O; QKᵀ and PV
        }
        if (attention instanceof LongShortRangeAttention.Config lsra) {
            double c = d / 2;
            double global = 4 * c * c + 2 * c * keys;                                // attention of width C = D/2
            double local = 2 * c * c + lsra.kernel() * c + c * c;                   // GLU in (C × 2C), K taps per channel, W_2 (C × C)
            return global + local;
        }
        throw new IllegalArgumentException("attention = \"" + attention.kind() + "\": expected standard or lsra (the kinds counted)");
    }
}
