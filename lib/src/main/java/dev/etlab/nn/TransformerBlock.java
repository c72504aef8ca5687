package dev.etlab.nn;

import dev.etlab.attention.Attention;
import dev.etlab.tensor.Ops;

/**
 * Pre-LayerNorm Transformer block (Xiong et al. 2020, https://arxiv.org/abs/2002.04745):
 * <pre>
 * x = x + Dropout(Attention(LN1(x)))
 * x = x + Dropout(FFN(LN2(x)))
 * </pre>
 * Normalising before each sub-layer keeps gradients well scaled without a long warm-up.
 */
public record TransformerBlock(String prefix, Attention attention, FeedForward ffn, double dropout) {

    public LayerNorm ln1() { return new LayerNorm(prefix + "ln1.", attention.dims().dModel()); }
    public LayerNorm ln2() { return new LayerNorm(prefix + "ln2.", attention.dims().dModel()); }

    public String attentionPrefix() { return prefix + "attn."; }

    public void declare(ParamStore store) {
        ln1().declare(store);
        attention.declare(store, attentionPrefix());
        ln2().declare(store);
        ffn.declare(store);
    }

    /**
     * This block as a reversible one (Kitaev et al. 2020, Section 3): F = Dropout(Attention(LN1(·))),
     * G = Dropout(FFN(LN2(·))), so y1 = x1 + F(x2), y2 = x2 + G(y1).
     */
    public <P> ReversibleStack.Block reversible(P keyPadding) {
        ReversibleStack.Sublayer f = new ReversibleStack.Sublayer() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> T apply(Ops<T> ops, T x) {
                return ops.dropout(attention.apply(ops, attentionPrefix(), ln1().apply(ops, x), (T) keyPadding), dropout);
            }
        };
        ReversibleStack.Sublayer g = new ReversibleStack.Sublayer() {
            @Override
            public <T> T apply(Ops<T> ops, T x) {
                return ops.dropout(ffn.apply(ops, ln2().apply(ops, x)), dropout);
            }
        };
        return new ReversibleStack.Block(f, g);
    }

    /** x (B, T, D) → (B, T, D). */
    public <T> T apply(Ops<T> ops, T x, T keyPadding) {
        T attended = attention.apply(ops, attentionPrefix(), ln1().apply(ops, x), keyPadding);
        x = ops.add(x, ops.dropout(attended, dropout));
        return ops.add(x, ops.dropout(ffn.apply(ops, ln2().apply(ops, x)), dropout));
    }
}
