package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.attention.Masks;
import dev.etlab.attention.RelativeAttention;
import dev.etlab.nn.Init;
import dev.etlab.nn.ParamStore;
import dev.etlab.nn.Positions;
import dev.etlab.tensor.Ops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Bidirectional multi-head self-attention with Transformer-XL's relative positions, as the Conformer uses it
 * (Gulati et al. 2020, Section 2.1; Dai et al. 2019, https://arxiv.org/abs/1901.02860, Section 3.3):
 * <pre>
 * A_ij = (q_i + u)·k_j + (q_i + v)·W_R R_{i−j}        every key j of the sequence, i − j ∈ [−(T−1), T−1]
 * </pre>
 * {@link RelativeAttention} is causal only (distances ≥ 0) and carries a memory; the Conformer is an
 * encoder, so this layer takes both signs of the distance and no memory. The (q + v)·W_R R products are
 * computed once per distance, (T, 2T − 1), and moved into place by {@link RelativeAttention#relShift}
 * (with S = 2T − 1 keys its valid region covers every (i, j), j &lt; T). u and v belong to each layer (the
 * Conformer paper does not say; ESPnet's relative-position attention keeps them per layer).
 *
 * @param prefix parameter names: {@code wq, bq, wk, bk, wv, bv, wo, bo} (D, D)/(D), {@code wr} (D, D), {@code u, v} (H, Dh)
 */
public record RelativeSelfAttention(String prefix, int dModel, int heads) {

    public RelativeSelfAttention {
        Check.positive("dModel", dModel);
        Check.positive("heads", heads);
        Check.arg(dModel % heads == 0, "heads", heads, "a divisor of dModel = " + dModel);
    }

    public int headDim() {
        return dModel / heads;
    }

    public void declare(ParamStore store) {
        for (String w : new String[] {"q", "k", "v", "o"}) {
            store.declare(prefix + "w" + w, Init.xavier(), dModel, dModel);
            store.declare(prefix + "b" + w, Init.zeros(), dModel);
        }
        store.declare(prefix + "wr", Init.xavier(), dModel, dModel);                // W_{k,R}
        store.declare(prefix + "u", Init.normal(0.02), heads, headDim());             // (H, Dh)
        store.declare(prefix + "v", Init.normal(0.02), heads, headDim());
    }

    /**
     * @param x          (B, T, D)
     * @param keyPadding (B, T) 1 = frame, 0 = padding; or null
     * @return (B, T, D)
     */
    public <T> T apply(Ops<T> ops, T x, T keyPadding) {
        Frames.check(ops, x, dModel);
        long b = ops.size(x, 0), t = ops.size(x, 1), h = heads, dh = headDim();
        T q = splitHeads(ops, ops.linear(x, ops.param(prefix + "wq"), ops.param(prefix + "bq")));   // (B, H, T, Dh)
        T k = splitHeads(ops, ops.linear(x, ops.param(prefix + "wk"), ops.param(prefix + "bk")));
        T v = splitHeads(ops, ops.linear(x, ops.param(prefix + "wv"), ops.param(prefix + "bv")));
        T u = ops.reshape(ops.param(prefix + "u"), 1, h, 1, dh);
        T vBias = ops.reshape(ops.param(prefix + "v"), 1, h, 1, dh);
        T content = ops.matmul(ops.add(q, u), k, false, true);                                      // (B, H, T, T)  (a) + (c)
        long distances = 2 * t - 1;
        T r = ops.linear(ops.constant(signedSinusoid(t, dModel, ops.dataType())), ops.param(prefix + "wr")); // (2T−1, D)
        T rHeads = ops.permute(ops.reshape(r, distances, h, dh), 1, 2, 0);                           // (H, Dh, 2T−1)
        T qv = ops.reshape(ops.permute(ops.add(q, vBias), 1, 0, 2, 3), h, b * t, dh);               // (H, B·T, Dh)
        T byDistance = ops.permute(ops.reshape(ops.matmul(qv, rHeads), h, b, t, distances), 1, 0, 2, 3); // (B, H, T, 2T−1), column c ↔ T−1−c
        T position = ops.slice(RelativeAttention.relShift(ops, byDistance), -1, 0, t);              // (B, H, T, T)  (b) + (d), distance i − j
        T scores = ops.mul(ops.add(content, position), 1.0 / Math.sqrt(dh));
        if (keyPadding != null) scores = ops.add(scores, Masks.paddingBias(ops, keyPadding));
        T probs = ops.softmax(scores, -1);                                                           // (B, H, T, T)
        ops.record(prefix + "probs", probs);
        T heads = ops.matmul(probs, v);                                                              // (B, H, T, Dh)
        T merged = ops.reshape(ops.permute(heads, 0, 2, 1, 3), b, t, dModel);                        // (B, T, D)
        return ops.linear(merged, ops.param(prefix + "wo"), ops.param(prefix + "bo"));
    }

    private <T> T splitHeads(Ops<T> ops, T x) {
        long[] s = ops.shape(x);
        return ops.permute(ops.reshape(x, s[0], s[1], heads, headDim()), 0, 2, 1, 3);
    }

    /**
     * The (2T − 1, D) table R: row c holds the sinusoid of the signed distance T − 1 − c (from T − 1 down to
     * −(T − 1)), PE(d, 2i) = sin(d / 10000^(2i/D)), PE(d, 2i+1) = cos(d / 10000^(2i/D)).
     */
    public static INDArray signedSinusoid(long length, long dModel, DataType type) {
        return Positions.sinusoidRows(length - 1, -1, 2 * length - 1, dModel, type);
    }
}
