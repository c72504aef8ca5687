package dev.etlab.attention;

import dev.etlab.Check;
import dev.etlab.nn.Init;
import dev.etlab.nn.ParamStore;
import dev.etlab.nn.Positions;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.ParamSource;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Transformer-XL's relative multi-head attention, with a memory of earlier states.
 * Dai et al. 2019, "Transformer-XL: Attentive Language Models Beyond a Fixed-Length Context",
 * https://arxiv.org/abs/1901.02860, Section 3.2 (recurrence) and 3.3 (relative positions).
 *
 * <p>Queries come from the segment x (B, T, D) only; keys and values from [memory; x] (B, M + T, D),
 * the memory being the previous segment's states of the same layer, kept with stop-gradient by the
 * caller ({@code dev.etlab.nn.TransformerXL}). Query i sits at absolute position M + i, key j at j:
 * <pre>
 * A_ij = (q_i + u)·k_j  +  (q_i + v)·W_R R_{M+i−j}          (Section 3.3: terms (a)+(c), (b)+(d))
 * </pre>
 * with R the sinusoid of the distance and u, v learned (H, Dh) vectors. The (q + v)·W_R R products are
 * computed once per distance, (T, M + T), and moved into place by the "rel shift" ({@link #relShift}).
 * The causal mask is offset by M: key j is visible to query i when j ≤ M + i.
 *
 * <p>u and v are shared across layers as in the paper and its reference code when
 * {@link Config#sharedBiases} (parameters {@code relpos.u}, {@code relpos.v}); otherwise each layer has its own.
 * Causal only: with relative distances ≥ 0 there is no bidirectional form here.
 */
public final class RelativeAttention extends MultiHeadAttention {

    /** Where shared u and v live, whatever the layer's prefix. */
    public static final String SHARED_PREFIX = "relpos.";

    /** @param sharedBiases one u and one v for all layers (the paper's choice, true) or one per layer (false) */
    public record Config(boolean sharedBiases) implements AttentionConfig {
        @Override public String kind() { return "relative"; }
        @Override public boolean supportsBidirectional() { return false; }
        @Override public Attention build(AttentionDims dims) { return new RelativeAttention(this, dims); }

        /** u, v shared across layers (Dai et al. 2019, Section 3.3; reference code's default). */
        public static Config paper() {
            return new Config(true);
        }
    }

    private final Config config;

    public RelativeAttention(Config config, AttentionDims dims) {
        super(dims);
        Check.arg(dims.causal(), "causal", false, "true: relative attention is built here for causal language models only");
        this.config = config;
    }

    @Override
    public Config config() {
        return config;
    }

    /** Name prefix of u and v for a layer. */
    public String biasPrefix(String prefix) {
        return config.sharedBiases() ? SHARED_PREFIX : prefix;
    }

    @Override
    protected void declareExtra(ParamStore store, String prefix) {
        store.declare(prefix + "wr", Init.xavier(), dims.dModel(), dims.dModel());        // W_{k,R}
        store.declare(biasPrefix(prefix) + "u", Init.normal(0.02), dims.heads(), dims.headDim()); // (H, Dh)
        store.declare(biasPrefix(prefix) + "v", Init.normal(0.02), dims.heads(), dims.headDim());
    }

    @Override
    public <T> T apply(Ops<T> ops, String prefix, T x, T keyPadding) {
        return apply(ops, prefix, x, null, keyPadding);
    }

    /**
     * @param x          (B, T, D) the segment (queries, keys, values)
     * @param memory     (B, M, D) earlier states (keys and values only), or null for M = 0
     * @param keyPadding (B, T) 1 = token, 0 = padding, for the segment's keys (memory keys are all tokens); or null
     * @return (B, T, D)
     */
    public <T> T apply(Ops<T> ops, String prefix, T x, T memory, T keyPadding) {
        T context = memory == null ? x : ops.concat(1, memory, x);                                            // (B, M+T, D)
        T q = splitHeads(ops, ops.linear(x, ops.param(prefix + "wq"), ops.param(prefix + "bq")));           // (B, H, T, Dh)
        T k = splitHeads(ops, ops.linear(context, ops.param(prefix + "wk"), ops.param(prefix + "bk")));     // (B, H, M+T, Dh)
        T v = splitHeads(ops, ops.linear(context, ops.param(prefix + "wv"), ops.param(prefix + "bv")));
        T pad = keyPadding;
        if (keyPadding != null && memory != null) {
            long[] ms = ops.shape(memory);
            pad = ops.concat(1, ops.constant(Nd4j.ones(ops.dataType(), ms[0], ms[1])), keyPadding);         // (B, M+T)
        }
        T heads = attend(ops, prefix, q, k, v, pad);                                                         // (B, H, T, Dh)
        return ops.linear(mergeHeads(ops, heads), ops.param(prefix + "wo"), ops.param(prefix + "bo"));      // (B, T, D)
    }

    /** q (B, H, T, Dh); k, v (B, H, S, Dh) with S = M + T ≥ T, the first M keys from memory. */
    @Override
    protected <T> T attend(Ops<T> ops, String prefix, T q, T k, T v, T keyPadding) {
        long b = ops.size(q, 0), h = dims.heads(), t = ops.size(q, 2), s = ops.size(k, 2), dh = dims.headDim();
        T u = ops.reshape(ops.param(biasPrefix(prefix) + "u"), 1, h, 1, dh);
        T vBias = ops.reshape(ops.param(biasPrefix(prefix) + "v"), 1, h, 1, dh);
        T content = ops.matmul(ops.add(q, u), k, false, true);                                  // (B, H, T, S)  (a) + (c)
        T r = ops.linear(ops.constant(relativeSinusoid(s, dims.dModel(), ops.dataType())), ops.param(prefix + "wr")); // (S, D) W_R R
        T rHeads = ops.permute(ops.reshape(r, s, h, dh), 1, 2, 0);                              // (H, Dh, S)
        T qv = ops.reshape(ops.permute(ops.add(q, vBias), 1, 0, 2, 3), h, b * t, dh);           // (H, B·T, Dh)
        T byDistance = ops.permute(ops.reshape(ops.matmul(qv, rHeads), h, b, t, s), 1, 0, 2, 3); // (B, H, T, S) column r ↔ distance S−1−r
        T position = relShift(ops, byDistance);                                                 // (B, H, T, S)  (b) + (d), column j ↔ key j
        T scores = ops.mul(ops.add(content, position), 1.0 / Math.sqrt(dh));
        scores = ops.add(scores, ops.constant(Masks.causalBias(t, s, ops.dataType())));          // j ≤ M + i
        if (keyPadding != null) scores = ops.add(scores, Masks.paddingBias(ops, keyPadding));
        T probs = ops.softmax(scores, -1);                                                      // (B, H, T, S)
        ops.record(prefix + "probs", probs);
        return ops.matmul(probs, v);                                                            // (B, H, T, Dh)
    }

    /**
     * The rel shift: x (..., T, S) whose column r holds distance S−1−r → y (..., T, S) with
     * y[i, j] = x[i, j + T − 1 − i], i.e. the value for distance (S − T) + i − j, wherever j ≤ (S − T) + i
     * (the other entries are leftovers, masked by the causal mask). Pad a zero column in front, read the
     * (T, S + 1) block as (S + 1, T), drop its first row, read the rest as (T, S).
     */
    public static <T> T relShift(Ops<T> ops, T x) {
        long[] shape = ops.shape(x);
        int rank = shape.length;
        long t = shape[rank - 2], s = shape[rank - 1];
        Check.arg(s >= t, "keys", s, "at least as many keys as queries (" + t + ")");
        long[] zerosShape = shape.clone();
        zerosShape[rank - 1] = 1;
        T padded = ops.concat(rank - 1, ops.constant(Nd4j.zeros(ops.dataType(), zerosShape)), x); // (..., T, S+1)
        long[] tall = shape.clone();
        tall[rank - 2] = s + 1;
        tall[rank - 1] = t;
        T dropped = ops.slice(ops.reshape(padded, tall), rank - 2, 1, s + 1);                    // (..., S, T)
        return ops.reshape(dropped, shape);                                                      // (..., T, S)
    }

    /**
     * The (S, D) table R: row r holds the sinusoid of distance S − 1 − r (longest first, as the reference code
     * orders them), PE(d, 2i) = sin(d / 10000^(2i/D)), PE(d, 2i+1) = cos(d / 10000^(2i/D)).
     */
    public static INDArray relativeSinusoid(long keys, long dModel, DataType type) {
        return Positions.sinusoidRows(keys - 1, -1, keys, dModel, type);
    }

    /**
     * Eager forward with a memory, with the checks of {@link #forward(ParamSource, String, INDArray, INDArray)}
     * plus the memory's: rank 3, x's batch and width, x's data type, finite values. A null or empty memory is M = 0.
     */
    public INDArray forward(ParamSource params, String prefix, INDArray x, INDArray memory, INDArray keyPadding) {
        if (memory == null || memory.rank() == 3 && memory.size(1) == 0) return forward(params, prefix, x, keyPadding);
        checkInput(x, keyPadding);
        DataType paramType = params.dataType();
        Check.arg(paramType == null || x.dataType() == paramType, "x", "array of type " + x.dataType(),
            "the parameters' data type " + paramType + " (cast x, or create the parameters in " + x.dataType() + ")");
        Check.rank("memory", memory, 3, "(batch, memory length, dModel)");
        Check.arg(memory.size(0) == x.size(0) && memory.size(2) == x.size(2), "memory", "array of shape " + Arrays.toString(memory.shape()),
            "shape (" + x.size(0) + ", M, " + x.size(2) + ") to match x's batch and width");
        Check.arg(memory.dataType() == x.dataType(), "memory", "array of type " + memory.dataType(), "x's data type " + x.dataType());
        Check.finite("memory", memory);
        INDArray pad = keyPadding == null || keyPadding.dataType() == x.dataType() ? keyPadding : keyPadding.castTo(x.dataType());
        return apply(NdOps.of(params, x.dataType()), prefix, x, memory, pad);
    }
}
