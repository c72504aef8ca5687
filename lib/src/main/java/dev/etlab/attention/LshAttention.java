package dev.etlab.attention;

import dev.etlab.Check;
import dev.etlab.nn.Init;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reformer's LSH attention: queries attend only to keys that hash to the same bucket, found by
 * sorting, in time and memory O(T·c) per round for chunks of c — never a T × T matrix.
 * Kitaev et al. 2020, "Reformer: The Efficient Transformer", https://arxiv.org/abs/2001.04451, Section 2.
 *
 * <pre>
 * h(x) = argmax([xR; −xR]),  R a random (d_k × b/2) rotation              (Section 2, angular LSH)
 * o_i = Σ_{j ∈ P_i} exp(q_i·k_j/√d − z(i, P_i)) v_j,  P_i = {j : h(q_i) = h(k_j)}   (Eq. 3)
 * o_i = Σ_r exp(z(i, P_i^(r)) − z(i, P_i)) o_i^(r)                        (Section 2, multi-round)
 * </pre>
 * Steps, per head and per round: hash the shared query-keys; sort positions by (bucket, position);
 * cut the sorted sequence into chunks of c; each chunk attends to itself and to the chunk before
 * it in the same round (cyclically; with one chunk, to itself only), keys normalised (k = q/|q|,
 * "shared-QK"), scores masked to the query's bucket (unless {@code attendAcrossBuckets}), to the
 * past when causal, and away from padding; a query attends to its own position only when nothing
 * else is available (score −10⁵, not −∞: the paper's rule, since q·q would dominate); outputs
 * are put back in position order and the rounds combined with softmax weights of their
 * log-sum-exps z. Hashing and sorting need values, so this runs on the eager engines only (the
 * training tape and {@code NdOps}; a SameDiff graph throws {@link dev.etlab.tensor.EagerOnlyException}).
 *
 * <p>Lengths: a sequence no longer than one chunk is one chunk (no padding). A longer one whose length
 * is not a multiple of c is padded inside the layer to the next multiple, the padding hashed to
 * a bucket of its own after every real one (so it fills the last chunks, not real tokens' places),
 * masked as keys and cut from the output. Padded keys ({@code keyPadding} 0) go to that bucket too.
 *
 * <p>Random rotations R: a fixed buffer (rounds × d_k × b/2) in the parameter store, so evaluation
 * is deterministic and a reversible layer's recompute hashes exactly as its forward did; redrawn
 * before every training step (fresh hashes each step, as the paper's training does).
 */
public final class LshAttention extends MultiHeadAttention {

    /** Score of a query with its own key: far below any real score, far above a masked one (Section 2, "shared-QK"). */
    public static final double SELF_SCORE = -1e5;
    /** Score of a masked key (other bucket, future, padding): its weight is exactly zero. */
    public static final double MASKED_SCORE = -1e9;

    /**
     * @param buckets             b, hash buckets per round: an even number ≥ 2 (angular LSH hashes to ±R columns)
     * @param rounds              n_rounds, hashing rounds with independent rotations (the paper trains with 1–8; 2 here by default)
     * @param chunkLength         c, sorted positions per chunk (the paper's chunks of 64 with 2·T/64 buckets)
     * @param attendAcrossBuckets true: a chunk attends to every key of its two chunks (reformer-pytorch's and trax's default);
     *                            false: only to keys of the query's bucket (the paper's Eq. 3)
     * @param seed                seeds the rotations and their redraws
     */
    public record Config(int buckets, int rounds, int chunkLength, boolean attendAcrossBuckets, long seed) implements AttentionConfig {
        public Config {
            Check.arg(buckets >= 2 && buckets % 2 == 0, "buckets", buckets,
                "an even number ≥ 2 (angular LSH picks one of b/2 rotated axes and its sign)");
            Check.arg(rounds >= 1, "rounds", rounds, "at least 1 hashing round");
            Check.arg(chunkLength >= 1, "chunkLength", chunkLength, "a positive number of sorted positions per chunk");
        }

        /** b buckets, n rounds, chunks of c, the paper's same-bucket rule. */
        public static Config of(int buckets, int rounds, int chunkLength) {
            return new Config(buckets, rounds, chunkLength, false, 0);
        }

        /** Buckets sized so each holds about one chunk on average: b = 2·T/c rounded to an even number ≥ 2, as in Section 2. */
        public static Config forLength(int length, int rounds, int chunkLength) {
            int b = (int) Math.max(2, Math.round(2.0 * length / chunkLength));
            return of(b % 2 == 0 ? b : b + 1, rounds, chunkLength);
        }

        public Config withRounds(int r) { return new Config(buckets, r, chunkLength, attendAcrossBuckets, seed); }
        public Config withBuckets(int b) { return new Config(b, rounds, chunkLength, attendAcrossBuckets, seed); }
        public Config withChunkLength(int c) { return new Config(buckets, rounds, c, attendAcrossBuckets, seed); }
        public Config withAttendAcrossBuckets(boolean a) { return new Config(buckets, rounds, chunkLength, a, seed); }
        public Config withSeed(long s) { return new Config(buckets, rounds, chunkLength, attendAcrossBuckets, s); }

        @Override public String kind() { return "lsh"; }
        @Override public boolean needsEagerEngine() { return true; }
        @Override public Attention build(AttentionDims dims) { return new LshAttention(this, dims); }
    }

    private final Config config;

    public LshAttention(Config config, AttentionDims dims) {
        super(dims);
        this.config = config;
    }

    @Override
    public Config config() {
        return config;
    }

    /** Shared-QK: keys are the normalised queries, so there is no W_K. */
    @Override
    protected boolean sharesQueryKey() {
        return true;
    }

    @Override
    protected void declareExtra(ParamStore store, String prefix) {
        store.buffer(prefix + "rotations", Init.normal(1.0), rotationShape());
    }

    /** Fresh rotations before every training step, seeded by (config seed, layer, step). */
    @Override
    public void beforeTrainingStep(ParamStore store, String prefix, int step) {
        Random rng = new Random(config.seed() * 1_000_003L + prefix.hashCode() * 31L + step);
        store.assign(prefix + "rotations", Init.normal(1.0).create(rotationShape(), store.dataType(), rng));
    }

    /** R for every round: (rounds, d_k, b/2). */
    private long[] rotationShape() {
        return new long[] {config.rounds(), dims.headDim(), config.buckets() / 2};
    }

    @Override
    protected <T> QueryKey<T> projectQueryKey(Ops<T> ops, String prefix, T x) {
        T qk = ops.linear(x, ops.param(prefix + "wq"), ops.param(prefix + "bq"));
        return new QueryKey<>(qk, qk);
    }

    // ---------------------------------------------------------------- hashing (no gradient)

    /**
     * Angular LSH (Section 2): bucket of each row of {@code x} (n × d) under rotation {@code r}
     * (d × b/2) is argmax([xr; −xr]): the rotated axis nearest to x, counting each axis and its opposite.
     */
    public static int[] buckets(INDArray x, INDArray rotation) {
        INDArray rotated = x.mmul(rotation.castTo(x.dataType()));      // (n, b/2)
        int half = (int) rotation.size(1);
        double[] v = rotated.dup('c').data().asDouble();
        int[] out = new int[(int) x.size(0)];
        for (int i = 0; i < out.length; i++) {
            int best = 0;
            double bestValue = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < half; j++) {
                double a = v[i * half + j];
                if (a > bestValue) { bestValue = a; best = j; }
                if (-a > bestValue) { bestValue = -a; best = j + half; }
            }
            out[i] = best;
        }
        return out;
    }

    /** Where each round's sorted sequence comes from and how to put it back, for N = B·H rows. */
    record Sorting(int[][] sortedPosition, int[][] buckets, INDArray gatherIndex, INDArray undoIndex) {}

    /**
     * Hashes every (row, round) and sorts positions by (bucket, position): a counting sort, stable in
     * position. {@code padded} marks positions (per row) that go to the extra last bucket b.
     * gatherIndex (N, R·Tp): position at each sorted slot; undoIndex (N, R·Tp): sorted slot of (round, position).
     */
    Sorting sort(INDArray qk, INDArray rotations, boolean[][] padded) {
        int n = (int) qk.size(0), tp = (int) qk.size(1), d = (int) qk.size(2), rounds = config.rounds(), b = config.buckets();
        INDArray flat = qk.reshape('c', (long) n * tp, d);
        int[][] sorted = new int[n][rounds * tp], bucketOf = new int[n][rounds * tp];
        int[] gather = new int[n * rounds * tp], undo = new int[n * rounds * tp];
        for (int r = 0; r < rounds; r++) {
            int[] h = buckets(flat, rotations.slice(r));
            for (int row = 0; row < n; row++) {
                int[] count = new int[b + 2];
                for (int t = 0; t < tp; t++) {
                    int bucket = padded[row][t] ? b : h[row * tp + t];
                    h[row * tp + t] = bucket;
                    count[bucket + 1]++;
                }
                for (int k = 1; k < count.length; k++) count[k] += count[k - 1];          // bucket start offsets
                for (int t = 0; t < tp; t++) {
                    int bucket = h[row * tp + t];
                    int slot = r * tp + count[bucket]++;
                    sorted[row][slot] = t;
                    bucketOf[row][slot] = bucket;
                    gather[row * rounds * tp + slot] = t;
                    undo[row * rounds * tp + r * tp + t] = slot;
                }
            }
        }
        long[] shape = {n, (long) rounds * tp};
        return new Sorting(sorted, bucketOf, Nd4j.createFromArray(gather).reshape(shape), Nd4j.createFromArray(undo).reshape(shape));
    }

    // ---------------------------------------------------------------- attention

    @Override
    protected <T> T attend(Ops<T> ops, String prefix, T q, T k, T v, T keyPadding) {
        long[] s = ops.shape(q);                                         // (B, H, T, Dh)
        int batch = (int) s[0], heads = (int) s[1], t = (int) s[2], dh = (int) s[3];
        int chunk = Math.min(config.chunkLength(), t);                   // one chunk of T when T ≤ c
        int tp = (int) Chunks.paddedLength(t, chunk), rows = batch * heads, rounds = config.rounds();
        int perRound = tp / chunk;                                        // chunks per round, m
        T qk = Chunks.padAxis(ops, ops.reshape(q, rows, t, dh), 1, tp - t, 0.0);  // (N, Tp, Dh)
        T values = Chunks.padAxis(ops, ops.reshape(v, rows, t, dh), 1, tp - t, 0.0);

        boolean[][] padded = paddedPositions(ops, keyPadding, batch, heads, t, tp);
        Sorting sorting = sort(ops.value(qk), ops.value(ops.param(prefix + "rotations")), padded);

        long[] chunked = {rows, rounds, perRound, chunk, dh};
        T sortedQk = ops.gatherRows(qk, sorting.gatherIndex());                                  // (N, R·Tp, Dh)
        T queries = ops.reshape(sortedQk, chunked);
        T keys = ops.reshape(unitRows(ops, sortedQk), chunked);                                  // k = q/|q|
        T sortedValues = ops.reshape(ops.gatherRows(values, sorting.gatherIndex()), chunked);
        T keyWindow = withChunkBefore(ops, keys, perRound);                                      // (N, R, m, W, Dh)
        T valueWindow = withChunkBefore(ops, sortedValues, perRound);

        T scores = ops.add(ops.mul(ops.matmul(queries, keyWindow, false, true), 1.0 / Math.sqrt(dh)),
            ops.constant(scoreMask(sorting, padded, rows, tp, chunk, perRound)));                 // (N, R, m, c, W)
        T max = ops.stopGradient(ops.max(scores, true, -1));
        T weights = ops.exp(ops.sub(scores, max));
        T total = ops.sum(weights, true, -1);
        T out = ops.matmul(ops.div(weights, total), valueWindow);                                // o^(r), sorted: (N, R, m, c, Dh)
        T logSumExp = ops.add(ops.log(total), max);                                              // z(i, P_i^(r)): (N, R, m, c, 1)

        T byPosition = ops.reshape(ops.gatherRows(ops.reshape(out, rows, (long) rounds * tp, dh), sorting.undoIndex()),
            rows, rounds, tp, dh);
        T combined = byPosition;
        if (rounds > 1) {
            T z = ops.reshape(ops.gatherRows(ops.reshape(logSumExp, rows, (long) rounds * tp, 1), sorting.undoIndex()),
                rows, rounds, tp, 1);
            combined = ops.sum(ops.mul(byPosition, ops.softmax(z, 1)), true, 1);                 // Σ_r exp(z_r − z) o^(r)
        }
        T cut = ops.slice(ops.reshape(combined, rows, tp, dh), 1, 0, t);
        return ops.reshape(cut, batch, heads, t, dh);
    }

    /** x / |x| over the last axis (a zero row stays zero). */
    private static <T> T unitRows(Ops<T> ops, T x) {
        return ops.mul(x, ops.rsqrt(ops.add(ops.sum(ops.square(x), true, -1), 1e-12)));
    }

    /**
     * (N, R, m, c, X) → (N, R, m, 2c, X): each chunk preceded by the chunk before it in its round (the
     * last one for the first, cyclically). With m = 1 the chunk alone: looking back would repeat it.
     */
    private static <T> T withChunkBefore(Ops<T> ops, T chunks, int perRound) {
        if (perRound == 1) return chunks;
        T before = ops.concat(2, ops.slice(chunks, 2, perRound - 1, perRound), ops.slice(chunks, 2, 0, perRound - 1));
        return ops.concat(3, before, chunks);
    }

    /** Positions (per row N = b·H + h) that are padding: appended by the layer, or 0 in keyPadding. */
    private <T> boolean[][] paddedPositions(Ops<T> ops, T keyPadding, int batch, int heads, int t, int tp) {
        boolean[][] padded = new boolean[batch * heads][tp];
        double[] keep = keyPadding == null ? null : ops.value(keyPadding).castTo(DataType.DOUBLE).dup('c').data().asDouble();
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < tp; i++) padded[b * heads + h][i] = i >= t || (keep != null && keep[b * t + i] == 0);
            }
        }
        return padded;
    }

    /**
     * Additive mask (N, R, m, c, W) over each chunk's key window: 0 for a key the query may attend to;
     * {@link #MASKED_SCORE} for padding, a future position (causal) or another bucket; {@link #SELF_SCORE} for
     * the query's own position. O(T·c) numbers per round, like the scores.
     */
    private INDArray scoreMask(Sorting sorting, boolean[][] padded, int rows, int tp, int chunk, int perRound) {
        int rounds = config.rounds(), window = perRound == 1 ? chunk : 2 * chunk;
        double[] mask = new double[rows * rounds * tp * window];
        int at = 0;
        for (int row = 0; row < rows; row++) {
            int[] pos = sorting.sortedPosition()[row], bucket = sorting.buckets()[row];
            for (int r = 0; r < rounds; r++) {
                for (int m = 0; m < perRound; m++) {
                    int previous = (m + perRound - 1) % perRound;
                    for (int i = 0; i < chunk; i++) {
                        int qSlot = r * tp + m * chunk + i;
                        for (int w = 0; w < window; w++) {
                            int kSlot = r * tp + (perRound == 1 || w >= chunk ? m * chunk + (w % chunk) : previous * chunk + w);
                            mask[at++] = maskValue(pos[qSlot], pos[kSlot], bucket[qSlot], bucket[kSlot], padded[row][pos[kSlot]]);
                        }
                    }
                }
            }
        }
        return Nd4j.createFromArray(mask).reshape(rows, rounds, perRound, chunk, window);
    }

    private double maskValue(int queryPosition, int keyPosition, int queryBucket, int keyBucket, boolean keyPadded) {
        if (queryPosition == keyPosition) return SELF_SCORE;
        if (keyPadded || (dims.causal() && keyPosition > queryPosition)) return MASKED_SCORE;
        if (!config.attendAcrossBuckets() && queryBucket != keyBucket) return MASKED_SCORE;
        return 0;
    }
}
