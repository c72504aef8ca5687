package dev.etlab.attention;

import dev.etlab.Check;
import dev.etlab.Simd;
import dev.etlab.nn.Init;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Linformer: keys and values projected along the sequence axis to a fixed length k, so attention
 * costs O(n·k) instead of O(n²). Wang et al. 2020, "Linformer: Self-Attention with Linear
 * Complexity", https://arxiv.org/abs/2006.04768
 *
 * <pre>head_i = softmax(Q W_i^Q (E_i K W_i^K)ᵀ / √d_k) · F_i V W_i^V        (Eq. 7)</pre>
 * E_i, F_i are k × n with n = maxLen; an input of length T &lt; n uses their first T columns.
 * Padded positions are zeroed in K and V before the projection, so they add nothing to the k
 * compressed rows (the rows themselves are always attended: with padding, Linformer does not
 * reduce to masked softmax attention even when E and F are identities). Encoder only: a projection along the sequence mixes every position, future
 * ones included, into each compressed row, so a causal form does not exist — it is refused.
 *
 * <p>The inner softmax(Q (EK)ᵀ/√d)(FV) is exact attention over k keys with no mask, so on float32, when the Vector
 * API is on ({@link Simd#enabled()}) and nobody records the probabilities, it runs on {@link VectorTiles} (forward,
 * and its recomputing backward on the tape); its twin is the ND4J softmax below, which is also taken on float64, on
 * SameDiff and whenever a recording {@link NdOps} wants {@code probs} for a heatmap.
 */
public final class Linformer extends MultiHeadAttention {

    /** Parameter sharing, Section 4 of the paper. */
    public enum Sharing {
        /** E_i, F_i per head. */
        NONE,
        /** E, F shared by the heads of a layer ("headwise"). */
        HEADWISE,
        /** one matrix per layer for both keys and values, E = F ("key-value"). */
        KEY_VALUE,
        /** one matrix for every layer, head, keys and values ("layerwise"). */
        LAYERWISE
    }

    /**
     * @param k       projected length (the paper's Table 3 uses 128 and 256)
     * @param sharing which projections are shared
     */
    public record Config(int k, Sharing sharing) implements AttentionConfig {
        public Config {
            Check.arg(k > 0, "k", k, "a positive projected length (the paper uses 128 or 256)");
            Check.arg(sharing != null, "sharing", null, "one of " + java.util.Arrays.toString(Sharing.values()));
        }

        public static Config of(int k) {
            return new Config(k, Sharing.HEADWISE);
        }

        @Override public String kind() { return "linformer"; }
        @Override public boolean supportsCausal() { return false; }

        @Override
        public Attention build(AttentionDims dims) {
            Check.arg(!dims.causal(), "causal", true, "false: Linformer is encoder-only — projecting the sequence axis mixes "
                + "future positions into every compressed key, so no causal form exists (Wang et al. 2020)");
            return new Linformer(this, dims);
        }
    }

    private final Config config;
    private final boolean simd;

    public Linformer(Config config, AttentionDims dims) {
        this(config, dims, Simd.enabled());
    }

    /** With the inner kernel chosen here ({@code simd}: {@link VectorTiles} where it applies): the tests compare the two. */
    Linformer(Config config, AttentionDims dims, boolean simd) {
        super(dims);
        this.config = config;
        this.simd = simd;
    }

    @Override
    public Config config() {
        return config;
    }

    /** Name of the key projection E (shared ones live outside the layer's prefix). */
    String keyProjection(String prefix) {
        return config.sharing() == Sharing.LAYERWISE ? "linformer.E" : prefix + "E";
    }

    /** Name of the value projection F (equal to E under key-value and layerwise sharing). */
    String valueProjection(String prefix) {
        return switch (config.sharing()) {
            case NONE, HEADWISE -> prefix + "F";
            case KEY_VALUE, LAYERWISE -> keyProjection(prefix);
        };
    }

    @Override
    protected void declareExtra(ParamStore store, String prefix) {
        Init init = Init.uniform(1 / Math.sqrt(config.k())); // U(±1/√k), as lucidrains/linformer
        long[] shape = config.sharing() == Sharing.NONE
            ? new long[] {dims.heads(), config.k(), dims.maxLen()}  // (H, k, n)
            : new long[] {config.k(), dims.maxLen()};               // (k, n)
        store.declare(keyProjection(prefix), init, shape);
        store.declare(valueProjection(prefix), init, shape);
    }

    @Override
    protected <T> T attend(Ops<T> ops, String prefix, T q, T k, T v, T keyPadding) {
        long t = ops.size(k, 2);
        Check.arg(t <= dims.maxLen(), "sequence length", t, "at most maxLen = " + dims.maxLen() + " (the n columns of E and F)");
        if (keyPadding != null) {
            long[] s = ops.shape(keyPadding);
            T keep = ops.reshape(keyPadding, s[0], 1, s[1], 1);
            k = ops.mul(k, keep);
            v = ops.mul(v, keep);
        }
        T kProj = project(ops, ops.param(keyProjection(prefix)), k, t);   // E K: (B, H, k, Dh)
        T vProj = project(ops, ops.param(valueProjection(prefix)), v, t); // F V: (B, H, k, Dh)
        double scale = 1.0 / Math.sqrt(dims.headDim());
        if (usesVectorKernel(ops)) return vectorAttention(ops, q, kProj, vProj, scale);
        T scores = ops.mul(ops.matmul(q, kProj, false, true), scale);     // (B, H, T, k)  Eq. (7)
        T probs = ops.softmax(scores, -1);
        ops.record(prefix + "probs", probs);
        return ops.matmul(probs, vProj);                                   // (B, H, T, Dh)
    }

    /** Whether the inner attention runs on {@link VectorTiles}: float32 eager or tape engine, and no probs recorded. */
    <T> boolean usesVectorKernel(Ops<T> ops) {
        if (!simd || ops.dataType() != DataType.FLOAT) return false;
        if (ops instanceof TapeOps) return true;
        return ops instanceof NdOps nd && !nd.isRecording();
    }

    /** softmax(Q Kₚᵀ · scale) Vₚ by {@link VectorTiles}, Kₚ = EK, Vₚ = FV: (B, H, T, Dh); on the tape, with its backward. */
    @SuppressWarnings("unchecked")
    private <T> T vectorAttention(Ops<T> ops, T q, T kProj, T vProj, double scale) {
        if (ops instanceof NdOps nd) {
            return (T) new VectorTiles(nd, 256, 256, false).forward((INDArray) q, (INDArray) kProj, (INDArray) vProj, null, scale)[0];
        }
        TapeOps tape = (TapeOps) ops;
        Var vq = (Var) q, vk = (Var) kProj, vv = (Var) vProj;
        NdOps nd = NdOps.of(name -> { throw new IllegalStateException("no parameters in the attention kernel"); }, tape.dataType());
        VectorTiles kernel = new VectorTiles(nd, 256, 256, false);
        INDArray[] outAndLse = kernel.forward(vq.value(), vk.value(), vv.value(), null, scale);
        return (T) tape.custom(new Var[] {vq, vk, vv}, new INDArray[] {outAndLse[0]},
            g -> kernel.backward(vq.value(), vk.value(), vv.value(), null, scale, outAndLse[0], outAndLse[1], g[0]))[0];
    }

    /** P[:, :T] · X along the sequence axis: X (B, H, T, Dh) → (B, H, k, Dh). */
    private <T> T project(Ops<T> ops, T p, T x, long t) {
        long[] s = ops.shape(x);
        long b = s[0], h = s[1], dh = s[3];
        T pt = ops.slice(p, -1, 0, t);                                     // leading T columns
        if (config.sharing() != Sharing.NONE) {
            T xt = ops.permute(x, 0, 1, 3, 2);                             // (B, H, Dh, T)
            return ops.permute(ops.linear(xt, ops.transposeLast(pt)), 0, 1, 3, 2); // (B, H, Dh, k) → (B, H, k, Dh)
        }
        long kk = config.k();
        T xh = ops.reshape(ops.permute(x, 1, 2, 0, 3), h, t, b * dh);      // (H, T, B·Dh)
        T projected = ops.matmul(pt, xh);                                  // (H, k, B·Dh): per-head E_i
        return ops.permute(ops.reshape(projected, h, kk, b, dh), 2, 0, 1, 3);
    }
}
