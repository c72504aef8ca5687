package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;

/**
 * A Conformer block or one of its ablations ({@link BlockKind}): the same modules and parameter names as
 * {@link ConformerBlock} (it is one, for {@link BlockKind#CONFORMER}), with the self-attention or the
 * convolution module (and its residual) left out:
 * <pre>
 * x̃  = x + ½ FFN(x)
 * x' = x̃ + MHSA(LN(x̃))        skipped by CONV_ONLY
 * x'' = x' + Conv(x')          skipped by ATTENTION_ONLY
 * y  = LayerNorm(x'' + ½ FFN(x''))
 * </pre>
 */
public record EncoderBlock(String prefix, BlockKind kind, int dModel, int heads, int dFf, int kernel, double dropout) {

    public EncoderBlock {
        Check.arg(kind != null, "kind", null, "one of " + java.util.Arrays.toString(BlockKind.values()));
        new ConformerBlock(prefix, dModel, heads, dFf, kernel, dropout);             // validates the sizes
    }

    /** The full block whose modules this one uses. */
    public ConformerBlock conformer() {
        return new ConformerBlock(prefix, dModel, heads, dFf, kernel, dropout);
    }

    public void declare(ParamStore store) {
        ConformerBlock c = conformer();
        c.ffn1().declare(store);
        if (kind.hasAttention()) {
            c.attentionNorm().declare(store);
            c.attention().declare(store);
        }
        if (kind.hasConvolution()) c.conv().declare(store);
        c.ffn2().declare(store);
        c.outputNorm().declare(store);
    }

    /**
     * @param x          (B, T, D)
     * @param keyPadding (B, T) 1 = frame, 0 = padding; or null
     * @param training   BatchNorm's mode, when the block has a convolution module
     * @return (B, T, D)
     */
    public <T> T apply(Ops<T> ops, T x, T keyPadding, boolean training) {
        ConformerBlock c = conformer();
        if (kind == BlockKind.CONFORMER) return c.apply(ops, x, keyPadding, training);
        Frames.check(ops, x, dModel);
        x = ops.add(x, ops.mul(c.ffn1().apply(ops, x), 0.5));                                   // Eq. 1: x̃
        if (kind.hasAttention()) {
            T attended = c.attention().apply(ops, c.attentionNorm().apply(ops, x), keyPadding);
            x = ops.add(x, ops.dropout(attended, dropout));                                       // x'
        }
        if (kind.hasConvolution()) x = ops.add(x, c.conv().apply(ops, x, keyPadding, training)); // x''
        return c.outputNorm().apply(ops, ops.add(x, ops.mul(c.ffn2().apply(ops, x), 0.5)));      // y
    }
}
