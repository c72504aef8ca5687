package dev.etlab.attention;

import dev.etlab.Check;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.EagerOnlyException;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.ParamSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Adaptive attention span: each head learns how far back it looks. Sukhbaatar, Grave, Bojanowski
 * and Joulin 2019, "Adaptive Attention Span in Transformers", https://arxiv.org/abs/1905.07799
 *
 * <pre>
 * m_z(x) = min(max((R + z·S − x)/R, 0), 1)        soft mask of a key x positions back, 0 ≤ x &lt; S     (Section 2.2)
 * a_tr   = m_z(t − r)·e^{s_tr} / Σ_q m_z(t − q)·e^{s_tq}   the masked attention weights               (Section 2.2)
 * L      = −log P(w_1 … w_T) + λ · mean_heads(z·S)  per layer, z ∈ [0, 1] clamped after each step     (Section 2.2)
 * </pre>
 * The paper's span parameter is z·S here (z ∈ [0, 1], as in the reference implementation), so its penalty
 * λ/M Σ_i z_i is our {@code penalty} · S · mean(z): λ per token of span.
 * Causal only (a character language model mechanism): query t sees keys t − S + 1 … t. One learnable
 * z per head (parameter {@code z}, shape (H)), S the maximum span, R the ramp. The mask enters as log m added
 * to the scores: softmax(s + log m) = m·e^s / Σ m·e^s, the paper's masked weights a_tr exactly — what the
 * reference implementation computes as the mask times the softmax, renormalised (without its + 1e-8), in one
 * pass over the scores instead of three. m is floored at float32's smallest normal number before the log, so
 * a key with m = 0 weighs at most ~1e-38 of a key with m = 1 and the same score. No row is empty: m(0) = 1
 * for z ≥ 0 (z is clamped to [0, 1] after every step), and a query always keeps its own key, padding or not.
 *
 * <p>Real savings: keys are trimmed to the longest current span, the {@link #window} L = ⌊max_h z_h·S + R⌋ + 1
 * rounded up to a multiple of {@code trimMultiple} (at most S): every key with a non-zero mask is inside it,
 * ramp included, so trimming changes nothing but the cost. Queries are cut into blocks of c = ⌈L/k⌉; each
 * block attends to its own block and the k before it — a (c × (L + c)) score block per c queries, O(T·L) time
 * and memory, never a (T × T) matrix ({@link #blocking}). The trim length is read from z's current value
 * ({@link Ops#value}) on the eager engines ({@code NdOps}, the training tape); a SameDiff graph, built once and
 * run with changing weights, has no values and uses the untrimmed window L = S, which gives the same values.
 * The trim is a non-differentiable choice; the gradient reaches z through m_z for every key in the window.
 * {@code denseMask} gives the naive version (a full (T × T) score matrix, masked): the tests' oracle, and the
 * cost of not trimming.
 */
public final class AdaptiveSpan extends MultiHeadAttention {

    /** The smallest mask value taken into log m: float32's smallest normal number, log = −87.3. */
    static final double MASK_FLOOR = Float.MIN_NORMAL;

    /**
     * @param maxSpan      S ≥ 1, the longest span a head may learn (keys at distance 0 … S − 1); at most maxLen
     * @param ramp         R ≥ 1, width of the mask's linear ramp from 1 to 0 (the paper's experiments: 32)
     * @param initialSpan  z at initialisation, in [0, 1] (reference implementation: 0, every head starts at span R)
     * @param penalty      λ ≥ 0, the ℓ1 span penalty per token of span, λ · S · mean(z) per layer (the reference
     *                     implementation's enwik8 script: 5e-7)
     * @param trimMultiple the trimmed window is rounded up to a multiple of this (≥ 1), so it changes in steps
     * @param denseMask    true: the naive version, a full (T × T) score matrix with the soft mask (oracle, no savings)
     */
    public record Config(int maxSpan, int ramp, double initialSpan, double penalty, int trimMultiple, boolean denseMask)
        implements AttentionConfig {
        public Config {
            Check.arg(maxSpan >= 1, "maxSpan", maxSpan, "at least 1 key (the largest span S a head may learn)");
            Check.arg(ramp >= 1, "ramp", ramp, "at least 1 (the width R of the soft mask's ramp; the paper uses 32)");
            Check.arg(initialSpan >= 0 && initialSpan <= 1, "initialSpan", initialSpan, "a value of z in [0, 1]");
            Check.arg(penalty >= 0 && Double.isFinite(penalty), "penalty", penalty, "0 or a positive finite coefficient");
            Check.arg(trimMultiple >= 1, "trimMultiple", trimMultiple, "at least 1 (1 = trim to the exact span)");
        }

        /** Max span S with the paper's ramp R = 32, z starting at 0, penalty 5e-7, trimmed to multiples of 32. */
        public static Config of(int maxSpan) {
            return new Config(maxSpan, 32, 0.0, 5e-7, 32, false);
        }

        public Config withRamp(int r) { return new Config(maxSpan, r, initialSpan, penalty, trimMultiple, denseMask); }
        public Config withInitialSpan(double z) { return new Config(maxSpan, ramp, z, penalty, trimMultiple, denseMask); }
        public Config withPenalty(double c) { return new Config(maxSpan, ramp, initialSpan, c, trimMultiple, denseMask); }
        public Config withTrimMultiple(int m) { return new Config(maxSpan, ramp, initialSpan, penalty, m, denseMask); }
        /** The same mechanism computed naively on the full (T × T) score matrix. */
        public Config asDenseMask() { return new Config(maxSpan, ramp, initialSpan, penalty, trimMultiple, true); }

        @Override public String kind() { return denseMask ? "adaptive-span (dense mask)" : "adaptive-span"; }
        @Override public boolean supportsBidirectional() { return false; }

        @Override
        public Attention build(AttentionDims dims) {
            Check.arg(dims.causal(), "causal", false, "true: adaptive span is a causal mechanism (a key x ≥ 0 positions back)");
            Check.arg(maxSpan <= dims.maxLen(), "maxSpan", maxSpan, "at most maxLen = " + dims.maxLen());
            return new AdaptiveSpan(this, dims);
        }
    }

    private final Config config;

    public AdaptiveSpan(Config config, AttentionDims dims) {
        super(dims);
        this.config = config;
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    protected void declareExtra(ParamStore store, String prefix) {
        store.declare(prefix + "z", (shape, type, rng) -> Nd4j.valueArrayOf(shape, config.initialSpan(), type), dims.heads()); // (H)
    }

    // ---- spans: read from the parameters, non-differentiable ----

    /** The learned span of each head, z_h·S (z clamped to [0, 1]). */
    public double[] spans(ParamSource params, String prefix) {
        double[] z = params.get(prefix + "z").toDoubleVector();
        for (int h = 0; h < z.length; h++) z[h] = clamp01(z[h]) * config.maxSpan();
        return z;
    }

    /** The trimmed window for the current z: see {@link #window(double)}. */
    public int window(ParamSource params, String prefix) {
        return window(params.get(prefix + "z").maxNumber().doubleValue());
    }

    /**
     * The number of keys each query attends to when the largest z is {@code maxZ}: L = ⌊maxZ·S + R⌋ + 1 holds
     * every distance x with m(x) &gt; 0; rounded up to a multiple of trimMultiple; at most S.
     */
    public int window(double maxZ) {
        long needed = (long) Math.floor(clamp01(maxZ) * config.maxSpan() + config.ramp()) + 1;
        long rounded = (needed + config.trimMultiple() - 1) / config.trimMultiple() * config.trimMultiple();
        return (int) Math.min(config.maxSpan(), rounded);
    }

    /**
     * How the fast path cuts T queries for a window of L keys: blocks of c queries, each against its own block and
     * the {@code before} blocks preceding it, (before + 1)·c keys (at least L + c − 1, or back to position 0).
     */
    public record Blocking(int block, int before) {
        /** Keys each block of queries is scored against. */
        public int context() { return (before + 1) * block; }

        /** Score entries per head for a sequence of {@code length} (padded up to whole blocks). */
        public long scores(long length) { return Chunks.paddedLength(length, block) * context(); }
    }

    /**
     * Blocks of c = ⌈L/k⌉ queries against the k blocks before: scores T·(L + c), and k + 1 copies of K and V,
     * T·2·Dh·(k + 1); k = √(L / 2Dh), rounded (at least 1), balances the two. k = 1 is the plain "own block and the
     * one before", scores T·2L. When T ≤ L the blocks before reach position 0 (at most T' × T' scores, as one block
     * would have), and the mask's grid is only (c × T'); T ≤ c is one block.
     */
    public Blocking blocking(long length, int window) {
        int k = (int) Math.max(1, Math.round(Math.sqrt(window / (2.0 * dims.headDim()))));
        int c = (int) Math.min(length, (window + k - 1) / k);
        long blocks = Chunks.paddedLength(length, c) / c;
        return new Blocking(c, (int) Math.min(k, blocks - 1));
    }

    /** The penalty λ · S · mean(z), added to the training loss (Section 2.2). */
    @Override
    public <T> T trainingLoss(Ops<T> ops, String prefix) {
        if (config.penalty() == 0) return null;
        return ops.mul(ops.mean(ops.param(prefix + "z"), false, 0), config.penalty() * config.maxSpan());
    }

    /** z clamped back into [0, 1] after the optimiser's step (reference implementation: clamp_param). */
    @Override
    public void afterTrainingStep(ParamStore store, String prefix, int step) {
        INDArray z = store.get(prefix + "z");
        z.assign(Transforms.min(Transforms.max(z, 0.0, true), 1.0, false));
    }

    // ---- attention ----

    @Override
    protected <T> T attend(Ops<T> ops, String prefix, T q, T k, T v, T keyPadding) {
        T z = ops.param(prefix + "z");                                              // (H)
        T q0 = ops.mul(q, 1.0 / Math.sqrt(dims.headDim()));                         // (B, H, T, Dh)
        return config.denseMask() ? attendDense(ops, prefix, z, q0, k, v, keyPadding) : attendBanded(ops, z, q0, k, v, keyPadding);
    }

    /** Blocks of c queries, each against its own block and the blocks before ({@link #blocking}): (B, H, n, c, ctx) scores. */
    private <T> T attendBanded(Ops<T> ops, T z, T q, T k, T v, T keyPadding) {
        long[] s = ops.shape(q);
        long b = s[0], h = s[1], n = s[2], dh = s[3];
        INDArray zNow = currentValue(ops, z);
        int window = zNow == null ? config.maxSpan() : window(zNow.maxNumber().doubleValue()); // L
        Blocking blocking = blocking(n, window);
        int c = blocking.block(), before = blocking.before(), context = blocking.context();
        long padded = Chunks.paddedLength(n, c), blocks = padded / c;
        T qc = ops.reshape(Chunks.padAxis(ops, q, 2, padded - n, 0.0), b, h, blocks, c, dh);   // (B, H, n, c, Dh)
        T kc = neighbourhood(ops, k, padded, c, before);                                         // (B, H, n, ctx, Dh)
        T vc = neighbourhood(ops, v, padded, c, before);
        INDArray x = distances(c, context, before * c, ops.dataType());                         // (c, ctx): x = query − key
        long[] grid = {1, 1, 1, c, context};
        T logMask = logSoftMask(ops, z, x, new long[] {1, dims.heads(), 1, 1, 1}, grid);         // (1, H, 1, c, ctx), small
        T bias = ops.add(logMask, ops.constant(outsideBias(x, window).reshape(grid)));           // + NEG: future, beyond L
        T scores = ops.add(ops.matmul(qc, kc, false, true), bias);                               // (B, H, n, c, ctx)
        if (before > 0) scores = ops.add(scores, ops.constant(beforeStartBias(blocks, c, before, context)));
        if (keyPadding != null) scores = ops.add(scores, paddingBias(ops, keyPadding, n, padded, c, before, x));
        T weights = ops.softmax(scores, -1);                                                     // masked weights (Section 2.2)
        T out = ops.reshape(ops.matmul(weights, vc), b, h, padded, dh);                          // (B, H, T', Dh)
        return ops.slice(out, 2, 0, n);
    }

    /** The naive version: the full (T × T) matrix, causal, with the soft mask over x = i − j. */
    private <T> T attendDense(Ops<T> ops, String prefix, T z, T q, T k, T v, T keyPadding) {
        int n = (int) ops.size(q, 2);
        INDArray x = distances(n, n, 0, ops.dataType());                                         // (T, T): x = i − j
        T logMask = logSoftMask(ops, z, x, new long[] {1, dims.heads(), 1, 1}, new long[] {1, 1, n, n});
        T outside = ops.constant(outsideBias(x, config.maxSpan()).reshape(1, 1, n, n));       // x < 0 or x ≥ S
        T scores = ops.add(ops.add(ops.matmul(q, k, false, true), outside), logMask);
        if (keyPadding != null) {                                 // each query keeps its own key, as on the fast path
            T notSelf = ops.constant(x.neq(0).castTo(x.dataType()).reshape(1, 1, n, n));
            scores = ops.add(scores, ops.mul(Masks.paddingBias(ops, keyPadding), notSelf));
        }
        T weights = ops.softmax(scores, -1);                                                     // (B, H, T, T)
        ops.record(prefix + "probs", weights);                                   // the masked weights a_tr
        return ops.matmul(weights, v);                                                           // (B, H, T, Dh)
    }

    /**
     * log m_z(x) per head for a grid of distances x, in the shape {@code zShape} ⊕ {@code gridShape} broadcast;
     * min(max(u, 0), 1) is written relu(u) − relu(u − 1), and m is floored at {@link #MASK_FLOOR} (a key with
     * m = 0 gets log m = −87.3 and no gradient). Keys outside the window are not masked here: the callers' additive
     * masks give them probability 0.
     */
    private <T> T logSoftMask(Ops<T> ops, T z, INDArray x, long[] zShape, long[] gridShape) {
        int r = config.ramp();
        INDArray offset = x.rsub(r).divi(r).reshape(gridShape);                                 // (R − x)/R
        T u = ops.add(ops.mul(ops.reshape(z, zShape), (double) config.maxSpan() / r), ops.constant(offset)); // (R + zS − x)/R
        T m = ops.sub(ops.relu(u), ops.relu(ops.add(u, -1.0)));                                  // m_z(x)
        return ops.log(ops.maximum(m, MASK_FLOOR));
    }

    /** k or v (B, H, T, Dh) → each block's keys, the block before it then its own: (B, H, n, (before + 1)·c, Dh). */
    private static <T> T neighbourhood(Ops<T> ops, T x, long padded, int c, int before) {
        long[] s = ops.shape(x);
        T blocks = Chunks.blocks(ops, Chunks.padAxis(ops, x, 2, padded - s[2], 0.0), c, 1);       // (B, H, 1, n, c, Dh)
        return ops.reshape(Chunks.withNeighbours(ops, blocks, before, 0), s[0], s[1], padded / c, (long) (before + 1) * c, s[3]);
    }

    /** (rows, cols) distances x = query − key of slot (a, j): a + shift − j. Built by ND4J, in the working type. */
    private static INDArray distances(int rows, int cols, int shift, DataType type) {
        INDArray a = Nd4j.arange(0, rows).castTo(type).reshape(rows, 1).addi(shift);
        INDArray j = Nd4j.arange(0, cols).castTo(type).reshape(1, cols);
        return a.broadcast(rows, cols).sub(j.broadcast(rows, cols));
    }

    /** 1 where 0 ≤ x &lt; window (a key the query may see), else 0. */
    private static INDArray inWindow(INDArray x, int window) {
        return x.gte(0).castTo(x.dataType()).muli(x.lt(window).castTo(x.dataType()));
    }

    /** (c, ctx) additive mask: NEG for keys in the future or beyond the window (each query keeps x = 0, its own key). */
    private static INDArray outsideBias(INDArray x, int window) {
        return inWindow(x, window).subi(1).muli(-Masks.NEG);
    }

    /** (1, 1, n, 1, ctx) additive mask: NEG for the context slots of the first blocks that lie before position 0. */
    private static INDArray beforeStartBias(long blocks, int c, int before, int context) {
        double[] bias = new double[Math.toIntExact(blocks * context)];
        for (int i = 0; i < Math.min(before, blocks); i++) for (int j = 0; j < (before - i) * c; j++) bias[i * context + j] = Masks.NEG;
        return Nd4j.create(bias, new long[] {1, 1, blocks, 1, context}, DataType.DOUBLE);
    }

    /**
     * (B, 1, n, c, ctx) additive mask: NEG for padding keys, except each query's own key. A padding query whose
     * window holds only padding would otherwise keep only keys outside its window, all with m = 0: 0/0.
     */
    private static <T> T paddingBias(Ops<T> ops, T keyPadding, long n, long padded, int c, int before, INDArray x) {
        long b = ops.size(keyPadding, 0), blocks = padded / c;
        int context = (int) x.size(1);
        T valid = ops.reshape(Chunks.padAxis(ops, keyPadding, 1, padded - n, 0.0), b, 1, padded, 1);   // (B, 1, T', 1)
        T keys = Chunks.withNeighbours(ops, Chunks.blocks(ops, valid, c, 1), before, 0);                 // (B, 1, 1, n, ctx, 1)
        T bias = ops.mul(ops.add(ops.reshape(keys, b, 1, blocks, 1, context), -1.0), -Masks.NEG);        // 1 → 0, 0 → NEG
        return ops.mul(bias, ops.constant(x.neq(0).castTo(x.dataType()).reshape(1, 1, 1, c, context)));
    }

    /** z's current value on an eager engine (NdOps, the training tape); null in a SameDiff graph, which has none. */
    private static <T> INDArray currentValue(Ops<T> ops, T z) {
        try {
            return ops.value(z);
        } catch (EagerOnlyException graph) {
            return null;                                   // the graph runs untrimmed (window S): the same values
        }
    }

    private static double clamp01(double z) {
        return Math.max(0, Math.min(1, z));
    }
}
