package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.nn.LayerNorm;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;

/**
 * One Conformer block (Gulati et al. 2020, https://arxiv.org/abs/2005.08100, Section 2.4, Eq. 1, Figure 1):
 * two half-step ("macaron") feed-forward modules around self-attention and convolution, each with a residual:
 * <pre>
 * x̃  = x + ½ FFN(x)
 * x' = x̃ + MHSA(x̃)                 MHSA = LayerNorm → relative-position self-attention → dropout
 * x'' = x' + Conv(x')
 * y  = LayerNorm(x'' + ½ FFN(x''))
 * </pre>
 *
 * @param prefix  parameter names: {@code ffn1.}, {@code ln_attn.}, {@code attn.}, {@code conv.}, {@code ffn2.}, {@code ln_out.}
 * @param dModel  D
 * @param heads   attention heads H (a divisor of D)
 * @param dFf     feed-forward width (4D in the paper)
 * @param kernel  depthwise convolution kernel (odd; 31 in reference implementations)
 * @param dropout after attention, in the feed-forward and convolution modules (0.1 in the paper, Section 3.2)
 */
public record ConformerBlock(String prefix, int dModel, int heads, int dFf, int kernel, double dropout) {

    public ConformerBlock {
        Check.positive("dModel", dModel);
        Check.probability("dropout", dropout);
        new RelativeSelfAttention(prefix + "attn.", dModel, heads);                   // validates heads
        new FeedForwardModule(prefix + "ffn1.", dModel, dFf, dropout);                 // validates dFf
        new ConvolutionModule(prefix + "conv.", dModel, kernel, dropout, false);      // validates kernel
    }

    public FeedForwardModule ffn1() { return new FeedForwardModule(prefix + "ffn1.", dModel, dFf, dropout); }
    public LayerNorm attentionNorm() { return new LayerNorm(prefix + "ln_attn.", dModel); }
    public RelativeSelfAttention attention() { return new RelativeSelfAttention(prefix + "attn.", dModel, heads); }
    public ConvolutionModule conv() { return new ConvolutionModule(prefix + "conv.", dModel, kernel, dropout, false); }
    public FeedForwardModule ffn2() { return new FeedForwardModule(prefix + "ffn2.", dModel, dFf, dropout); }
    public LayerNorm outputNorm() { return new LayerNorm(prefix + "ln_out.", dModel); }

    public void declare(ParamStore store) {
        ffn1().declare(store);
        attentionNorm().declare(store);
        attention().declare(store);
        conv().declare(store);
        ffn2().declare(store);
        outputNorm().declare(store);
    }

    /**
     * @param x          (B, T, D)
     * @param keyPadding (B, T) 1 = frame, 0 = padding: the attention's keys, and the frames the convolution zeroes; or null
     * @param training   BatchNorm's mode ({@link BatchNorm1d}); dropout is the engine's (off unless training on a tape with a seed)
     * @return (B, T, D)
     */
    public <T> T apply(Ops<T> ops, T x, T keyPadding, boolean training) {
        Frames.check(ops, x, dModel);
        x = ops.add(x, ops.mul(ffn1().apply(ops, x), 0.5));                                              // Eq. 1: x̃
        T attended = attention().apply(ops, attentionNorm().apply(ops, x), keyPadding);
        x = ops.add(x, ops.dropout(attended, dropout));                                                    // x'
        x = ops.add(x, conv().apply(ops, x, keyPadding, training));                                                    // x''
        return outputNorm().apply(ops, ops.add(x, ops.mul(ffn2().apply(ops, x), 0.5)));                   // y
    }
}
