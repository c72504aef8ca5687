package dev.etlab.attention;

import dev.etlab.nn.Init;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;

/**
 * The part every multi-head mechanism shares: input projections to H heads, an output projection
 * back to D. A mechanism supplies only {@link #attend}, the rule that mixes values (the labml
 * "override one hook" pattern), plus any parameters of its own in {@link #declareExtra}.
 *
 * <pre>
 * MultiHead(X) = Concat(head_1, …, head_H) W_O,   head_h = attend(X W_Q^h, X W_K^h, X W_V^h)
 * </pre>
 * (Vaswani et al. 2017, Section 3.2.2.)
 */
public abstract class MultiHeadAttention implements Attention {
    protected final AttentionDims dims;

    protected MultiHeadAttention(AttentionDims dims) {
        this.dims = dims;
    }

    @Override
    public AttentionDims dims() {
        return dims;
    }

    @Override
    public final void declare(ParamStore store, String prefix) {
        int d = dims.dModel();
        for (String w : new String[] {"wq", "wk", "wv", "wo"}) {
            if (w.equals("wk") && sharesQueryKey()) continue;
            store.declare(prefix + w, Init.xavier(), d, d);
            store.declare(prefix + "b" + w.charAt(1), Init.zeros(), d);
        }
        declareExtra(store, prefix);
    }

    /** True when keys come from the query projection (the Reformer's shared-QK): then no W_K, b_K are declared. */
    protected boolean sharesQueryKey() {
        return false;
    }

    /** Parameters beyond the four projections; none by default. */
    protected void declareExtra(ParamStore store, String prefix) {}

    @Override
    public <T> T apply(Ops<T> ops, String prefix, T x, T keyPadding) {
        QueryKey<T> qk = projectQueryKey(ops, prefix, x);
        T q = splitHeads(ops, qk.queries());                                                         // (B, H, T, Dh)
        T k = splitHeads(ops, qk.keys());
        T v = splitHeads(ops, ops.linear(x, ops.param(prefix + "wv"), ops.param(prefix + "bv")));
        T heads = attend(ops, prefix, q, k, v, keyPadding);                                           // (B, H, T, Dh)
        return ops.linear(mergeHeads(ops, heads), ops.param(prefix + "wo"), ops.param(prefix + "bo")); // (B, T, D)
    }

    /** Queries and keys before the split into heads, each (B, T, D). */
    protected record QueryKey<T>(T queries, T keys) {}

    /**
     * The query and key projections, x W_Q + b_Q and x W_K + b_K. A mechanism that forms queries and
     * keys differently overrides this hook (LogSparse's convolutional self-attention: a causal
     * convolution over the sequence); values always come from the plain projection W_V.
     */
    protected <T> QueryKey<T> projectQueryKey(Ops<T> ops, String prefix, T x) {
        return new QueryKey<>(ops.linear(x, ops.param(prefix + "wq"), ops.param(prefix + "bq")),
            ops.linear(x, ops.param(prefix + "wk"), ops.param(prefix + "bk")));
    }

    /**
     * Mixes values for every head.
     *
     * @param q, k, v    (B, H, T, Dh)
     * @param keyPadding (B, T) 1 = token, 0 = padding; or null
     * @return (B, H, T, Dh)
     */
    protected abstract <T> T attend(Ops<T> ops, String prefix, T q, T k, T v, T keyPadding);

    /** (B, T, D) → (B, H, T, Dh). */
    protected <T> T splitHeads(Ops<T> ops, T x) {
        long[] s = ops.shape(x);
        return ops.permute(ops.reshape(x, s[0], s[1], dims.heads(), dims.headDim()), 0, 2, 1, 3);
    }

    /** (B, H, T, Dh) → (B, T, D). */
    protected <T> T mergeHeads(Ops<T> ops, T x) {
        long[] s = ops.shape(x);
        return ops.reshape(ops.permute(x, 0, 2, 1, 3), s[0], s[2], dims.dModel());
    }
}
