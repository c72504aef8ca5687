package dev.etlab.attention;

import dev.etlab.Check;
import dev.etlab.nn.Init;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * LogSparse self-attention with convolutional queries and keys.
 * Li et al. 2019, "Enhancing the Locality and Breaking the Memory Bottleneck of Transformer on
 * Time Series Forecasting", https://arxiv.org/abs/1907.00235
 *
 * <p><b>Pattern</b> ("Breaking the memory bottleneck"): query i attends to the keys at distances
 * <pre>
 * {0, 1, …, w−1}  ∪  {2^m ≥ w : m = 0, 1, …}        (w = local window; w = 1: the paper's I_i = {i, i−1, i−2, i−4, …})
 * </pre>
 * restarted, optionally, every {@code restartLength} positions (keys before the start of the
 * query's subsequence are masked). That is O(log T) keys per query, so O(T log T) per layer and
 * O(T (log T)²) for the log T layers that connect every cell to every earlier one.
 *
 * <p><b>Fast path</b>: the allowed keys form a fixed set of m offsets, so keys and values are
 * gathered by shifting them along the sequence (one front pad and a slice per offset) into
 * (B, H, T, m, Dh) stacks; scores are (B, H, T, m), one softmax over the m offsets, a weighted
 * sum of the shifted values. Memory O(T·m·D), never (T × T), forward and backward; no gather op.
 *
 * <p><b>Convolutional self-attention</b> ("Enhancing the locality"): queries and keys come from a
 * causal 1-D convolution of kernel k over the sequence (left padding k−1), values from the plain
 * projection. Tap 0 is {@code wq}/{@code wk}; taps 1…k−1 (multiplying x[t−1] … x[t−k+1]) are
 * {@code wq_taps}/{@code wk_taps}, ((k−1)·D, D). k = 1 is canonical attention, parameter for parameter.
 *
 * <p>{@link Pattern#FULL} keeps the convolutional queries and keys but lets every query see all
 * earlier keys (dense causal softmax): the "full attention" side of the paper's comparisons.
 */
public final class LogSparse extends SoftmaxAttention {

    /** Which keys a query sees. */
    public enum Pattern {
        /** Local window, then exponentially spaced keys (optionally restarted). */
        LOG_SPARSE,
        /** Every earlier key: dense causal attention, O(T²) — the comparison, not the method. */
        FULL
    }

    /**
     * @param localWindow   w ≥ 1: distances 0 … w−1 are attended densely (w = 1: the query itself only)
     * @param kernel        k, odd, ≥ 1: causal convolution width for queries and keys (1 = canonical attention)
     * @param restartLength 0 (off) or the subsequence length L_sub ≥ max(2, w) after which the pattern restarts
     * @param pattern       LOG_SPARSE, or FULL for conv attention over all earlier keys
     */
    public record Config(int localWindow, int kernel, int restartLength, Pattern pattern) implements AttentionConfig, SparsePattern {
        public Config {
            Check.arg(localWindow >= 1, "localWindow", localWindow, "at least 1 (distance 0, the query itself, is always attended)");
            Check.arg(kernel >= 1 && kernel % 2 == 1, "kernel", kernel,
                "an odd integer ≥ 1 (the causal convolution width for queries and keys; 1 = canonical attention)");
            Check.arg(pattern != null, "pattern", null, "one of " + Arrays.toString(Pattern.values()));
            Check.arg(restartLength == 0 || restartLength >= Math.max(2, localWindow), "restartLength", restartLength,
                "0 (off) or at least max(2, localWindow = " + localWindow + ")");
            Check.arg(pattern == Pattern.LOG_SPARSE || restartLength == 0, "restartLength", restartLength,
                "0 with the FULL pattern (restart is part of the log-sparse pattern)");
        }

        /** The log-sparse pattern with a local window of w and convolution kernel k, no restart. */
        public static Config of(int localWindow, int kernel) {
            return new Config(localWindow, kernel, 0, Pattern.LOG_SPARSE);
        }

        /** Convolutional self-attention over every earlier key (k = 1: standard causal attention). */
        public static Config full(int kernel) {
            return new Config(1, kernel, 0, Pattern.FULL);
        }

        public Config withRestart(int restartLength) {
            return new Config(localWindow, kernel, restartLength, pattern);
        }

        public Config withKernel(int kernel) {
            return new Config(localWindow, kernel, restartLength, pattern);
        }

        @Override public String kind() { return pattern == Pattern.FULL ? "conv-full" : "logsparse"; }

        @Override public boolean supportsBidirectional() { return false; }

        @Override public Attention build(AttentionDims dims) {
            Check.arg(dims.causal(), "causal", false, "true: LogSparse attention is causal only (a forecasting decoder)");
            Check.arg(localWindow <= dims.maxLen(), "localWindow", localWindow, "at most maxLen = " + dims.maxLen() + " (the longest sequence)");
            Check.arg(restartLength <= dims.maxLen(), "restartLength", restartLength, "at most maxLen = " + dims.maxLen() + " (the longest sequence)");
            return new LogSparse(this, dims);
        }

        /** Whether a key at distance d = i − j is in the pattern (before any restart): d &lt; w, or d a power of two. */
        public boolean allowsDistance(int d) {
            if (d < 0) return false;
            return pattern == Pattern.FULL || d < localWindow || (d & (d - 1)) == 0;
        }

        @Override
        public boolean allows(int query, int key, int length, boolean causal) {
            if (key > query) return false;                     // causal only, whatever is asked
            if (restartLength > 0 && query / restartLength != key / restartLength) return false;
            return allowsDistance(query - key);
        }

        /**
         * The distances a query attends to in a sequence of {@code length}, ascending: 0 … w−1, then the
         * powers of two beyond the window, below min(length, restartLength). O(w + log T) of them.
         */
        public int[] offsets(int length) {
            Check.positive("length", length);
            int span = restartLength > 0 ? Math.min(length, restartLength) : length;
            List<Integer> out = new ArrayList<>();
            for (int d = 0; d < Math.min(localWindow, span); d++) out.add(d);       // the local window
            if (pattern == Pattern.FULL) {
                for (int d = localWindow; d < span; d++) out.add(d);
            } else {
                for (long d = 1; d < span; d *= 2) if (d >= localWindow) out.add((int) d); // exponentially spaced
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    private final Config config;

    LogSparse(Config config, AttentionDims dims) {
        super(dims);
        this.config = config;
    }

    @Override
    public Config config() {
        return config;
    }

    /** Convolution taps beyond the first: ((k−1)·D, D) for queries and for keys. */
    @Override
    protected void declareExtra(ParamStore store, String prefix) {
        if (config.kernel() == 1) return;
        long taps = (long) (config.kernel() - 1) * dims.dModel();
        store.declare(prefix + "wq_taps", Init.xavier(), taps, dims.dModel());
        store.declare(prefix + "wk_taps", Init.xavier(), taps, dims.dModel());
    }

    /** Causal convolution of kernel k for Q and K: [x_t, x_{t−1}, …, x_{t−k+1}] · [W; W_taps] + b. */
    @Override
    protected <T> QueryKey<T> projectQueryKey(Ops<T> ops, String prefix, T x) {
        int k = config.kernel();
        if (k == 1) return super.projectQueryKey(ops, prefix, x);
        int[] taps = new int[k];
        for (int s = 0; s < k; s++) taps[s] = s;
        T window = Chunks.shiftedCopies(ops, x, taps);                                        // (B, T, k·D), left pad k−1
        T wq = ops.concat(0, ops.param(prefix + "wq"), ops.param(prefix + "wq_taps"));       // (k·D, D)
        T wk = ops.concat(0, ops.param(prefix + "wk"), ops.param(prefix + "wk_taps"));
        return new QueryKey<>(ops.linear(window, wq, ops.param(prefix + "bq")),              // (B, T, D)
            ops.linear(window, wk, ops.param(prefix + "bk")));
    }

    /** FULL: the causal (T, T) mask of the dense path. */
    @Override
    protected INDArray maskBias(long queries, long keys, DataType type) {
        return Masks.causalBias(queries, keys, type);
    }

    @Override
    protected <T> T attend(Ops<T> ops, String prefix, T q, T k, T v, T keyPadding) {
        if (config.pattern() == Pattern.FULL) return super.attend(ops, prefix, q, k, v, keyPadding);
        long[] s = ops.shape(q);
        long b = s[0], h = s[1], t = s[2], dh = s[3];
        int[] offsets = config.offsets((int) t);
        int m = offsets.length;
        T keys = ops.reshape(Chunks.shiftedCopies(ops, k, offsets), b, h, t, m, dh);         // (B, H, T, m, Dh): k[t − o]
        T values = ops.reshape(Chunks.shiftedCopies(ops, v, offsets), b, h, t, m, dh);
        T scores = ops.sum(ops.mul(ops.reshape(q, b, h, t, 1, dh), keys), false, 4);       // (B, H, T, m)  q_t · k_{t−o}
        T keep = ops.constant(offsetKeep(t, offsets, ops.dataType()));                       // (1, 1, T, m): 1 = key exists
        if (keyPadding != null) {
            T real = Chunks.shiftedCopies(ops, ops.reshape(keyPadding, b, 1, t, 1), offsets);  // (B, 1, T, m): 1 = a real key
            keep = ops.mul(keep, real);
        }
        // A masked score is REPLACED by NEG (s·0 + NEG), not shifted by it: adding −1e9 to s would round s to
        // ~1e-7 and leave a fully masked row (a padded query in a padded subsequence) depending on s through
        // rounding noise. Replaced, such a row is exactly uniform and its gradient exactly 0.
        scores = ops.add(ops.mul(ops.mul(scores, 1.0 / Math.sqrt(dh)), keep), ops.mul(ops.add(keep, -1.0), -Masks.NEG));
        // Shift by the row max first (no gradient needed: softmax ignores shifts): SameDiff's softmax backward
        // gives NaN when all of a row's scores are −1e9 (ND4J 1.0.0-M2.1).
        scores = ops.sub(scores, ops.stopGradient(ops.max(scores, true, -1)));
        T weights = ops.softmax(scores, -1);                                                  // (B, H, T, m)
        ops.record(prefix + "offset_weights", weights);
        return ops.sum(ops.mul(ops.reshape(weights, b, h, t, m, 1), values), false, 3);     // (B, H, T, Dh)
    }

    /** (1, 1, T, m): 0 where query i's key i − o lies before the sequence start or before i's restart boundary, else 1. */
    INDArray offsetKeep(long t, int[] offsets, DataType type) {
        int m = offsets.length, restart = config.restartLength();
        double[] keep = new double[Math.toIntExact(t * m)];
        for (int i = 0; i < t; i++) {
            int start = restart > 0 ? i / restart * restart : 0; // first key of the query's subsequence
            for (int o = 0; o < m; o++) keep[i * m + o] = i - offsets[o] < start ? 0 : 1;
        }
        return Nd4j.create(keep, new long[] {1, 1, t, m}, DataType.DOUBLE).castTo(type);
    }
}
