package dev.etlab.attention;

import dev.etlab.Check;
import dev.etlab.tensor.Ops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sparse Transformer: factorized attention, each query attending O(√n) keys, O(n√n) in all.
 * Child et al. 2019, "Generating Long Sequences with Sparse Transformers", https://arxiv.org/abs/1904.10509
 *
 * <pre>
 * strided: A_i^(1) = {t, t+1, …, i}, t = max(0, i − l)     A_i^(2) = {j : (i − j) mod l = 0}            (Section 4.3)
 * fixed:   A_i^(1) = {j : ⌊j/l⌋ = ⌊i/l⌋}                  A_i^(2) = {j : j mod l ∈ {l − c, …, l − 1}}
 * merged head: attention(X) = W_p · attend(X, A^(1) ∪ A^(2)), one softmax over the union              (Section 5.1)
 * </pre>
 * Computed blockwise, never with an (n × n) matrix and without gather, forward or backward: the
 * sequence is padded internally to a multiple of l and reshaped to an (n/l × l) grid of blocks.
 * Strided: A^(1) is attention to the current and previous block (a fixed (l × 2l) band mask), A^(2)
 * attention along the grid's columns (the same position r of every earlier block). Fixed: A^(1) is
 * attention inside the block, A^(2) attention to the last c positions of every earlier block, sliced
 * out of the grid. The two factors' scores are normalised by one softmax without being joined (they
 * live in different layouts): a common row maximum, unnormalised weights exp(s − max) for each, their
 * value sums added and divided by the summed normaliser. A pair both factors contain is kept in A^(1)
 * only, so nothing is counted twice.
 *
 * <p>The paper's patterns are causal. For an encoder (causal = false) we use their symmetric form,
 * our extension: strided A^(1) = {j : |i − j| ≤ l}, A^(2) as above for j on both sides (blocks
 * a−1, a, a+1 and the whole column); fixed with the summary columns of every block, before and after.
 *
 * <p>For O(n√n) the block length must follow the length, l ≈ √n ({@link StrideRule#SQRT_LENGTH});
 * with a given l, the A^(2) factor costs n²/l and time grows as n² again, only l times smaller.
 * A block never exceeds the sequence: when l &gt; n, l = n is used, which allows the same pairs.
 */
public final class SparseTransformer extends MultiHeadAttention {

    /** The factorization, Section 4.3: strided (images, periodic data) or fixed (text). */
    public enum Pattern { STRIDED, FIXED }

    /** How the block length l (the stride) is chosen. */
    public enum StrideRule {
        /** l = stride, whatever the length. */
        GIVEN,
        /**
         * l = max(stride, ⌈√n⌉) for an input of n positions: O(n√n). The pattern then depends on n, which
         * suits benchmarks and fixed-length inputs; a model that is fed growing prefixes (generation)
         * sees a different pattern at each length, so give it the l of its training length instead.
         */
        SQRT_LENGTH
    }

    /**
     * @param pattern    STRIDED or FIXED
     * @param strideRule GIVEN: l = stride; SQRT_LENGTH: l = max(stride, ⌈√n⌉) (stride is then the least block length)
     * @param stride     the block length l ≥ 1 (the paper uses 128 for text and images; l ≈ √n gives O(n√n))
     * @param summary    c, summary positions per block of the fixed pattern, in [1, stride] (the paper: 8 to 32 for
     *                   l of 128 or 256; c = l attends everything); 0 for the strided pattern, which has none
     */
    public record Config(Pattern pattern, StrideRule strideRule, int stride, int summary) implements AttentionConfig, SparsePattern {
        public Config {
            Check.arg(pattern != null, "pattern", null, "one of " + java.util.Arrays.toString(Pattern.values()));
            Check.arg(strideRule != null, "strideRule", null, "one of " + java.util.Arrays.toString(StrideRule.values()));
            Check.arg(stride >= 1, "stride", stride, "a block length l of at least 1 (the paper uses 128; l ≈ √n for O(n√n))");
            if (pattern == Pattern.FIXED) {
                Check.arg(summary >= 1 && summary <= stride, "summary", summary,
                    "c in [1, stride = " + stride + "]: the summary positions at the end of each block (the paper: 8 to 32)");
            } else {
                Check.arg(summary == 0, "summary", summary, "0: the strided pattern has no summary positions");
            }
        }

        /** Strided pattern with block length l. */
        public static Config strided(int l) {
            return new Config(Pattern.STRIDED, StrideRule.GIVEN, l, 0);
        }

        /** Strided pattern with l = ⌈√n⌉: O(n√n). */
        public static Config stridedSqrtLength() {
            return new Config(Pattern.STRIDED, StrideRule.SQRT_LENGTH, 1, 0);
        }

        /** Fixed pattern with block length l and c summary positions per block. */
        public static Config fixed(int l, int c) {
            return new Config(Pattern.FIXED, StrideRule.GIVEN, l, c);
        }

        /** Fixed pattern with l = max(c, ⌈√n⌉) and c summary positions per block: O(n√n·c). */
        public static Config fixedSqrtLength(int c) {
            return new Config(Pattern.FIXED, StrideRule.SQRT_LENGTH, c, c);
        }

        /** The block length l used for an input of n positions. */
        public int strideFor(int n) {
            return strideRule == StrideRule.GIVEN ? stride : Math.max(stride, ceilSqrt(n));
        }

        /** A short description for legends, e.g. "strided, l = ⌈√n⌉" or "fixed, l = 128, c = 32". */
        public String describe() {
            String l = strideRule == StrideRule.GIVEN ? "l = " + stride : stride > 1 ? "l = max(" + stride + ", ⌈√n⌉)" : "l = ⌈√n⌉";
            return pattern.name().toLowerCase(java.util.Locale.ROOT) + ", " + l + (pattern == Pattern.FIXED ? ", c = " + summary : "");
        }

        @Override public String kind() { return "sparse transformer"; }

        @Override
        public Attention build(AttentionDims dims) {
            Check.arg(stride <= dims.maxLen(), "stride", stride, "at most maxLen = " + dims.maxLen()
                + " (a stride of the whole length already allows every pair)");
            return new SparseTransformer(this, dims);
        }

        /** A^(1) ∪ A^(2) (Section 4.3); for causal, j ≤ i too. */
        @Override
        public boolean allows(int i, int j, int n, boolean causal) {
            if (causal && j > i) return false;
            int l = strideFor(n);
            return switch (pattern) {
                case STRIDED -> Math.abs(i - j) <= l || Math.floorMod(i - j, l) == 0;
                case FIXED -> i / l == j / l || j % l >= l - summary;
            };
        }

        /** Counted row by row without building the (n × n) matrix: |A^(1) ∪ A^(2)| summed over queries. */
        @Override
        public long allowedPairs(int n, boolean causal) {
            int l = strideFor(n);
            long pairs = 0;
            for (int i = 0; i < n; i++) {
                int before = i, after = causal ? 0 : n - 1 - i;            // keys available on each side of i
                pairs += 1 + switch (pattern) {
                    case STRIDED -> Math.min(before, l) + Math.max(0, before / l - 1)
                        + Math.min(after, l) + Math.max(0, after / l - 1);
                    case FIXED -> {
                        int a = i / l, blockStart = a * l, blockEnd = Math.min(n, blockStart + l);
                        long inBlock = (causal ? i + 1 : blockEnd) - blockStart - 1;
                        long summaries = (long) a * summary;                // every earlier block is complete
                        if (!causal) summaries += summariesIn(blockEnd, n, l, summary);
                        yield inBlock + summaries;
                    }
                };
            }
            return pairs;
        }

        /** Summary positions j in [from, n), from a multiple of l. */
        private static long summariesIn(int from, int n, int l, int c) {
            long full = (n - from) / l, rest = (n - from) % l;
            return full * c + Math.max(0, rest - (l - c));
        }

        private static int ceilSqrt(int n) {
            int r = (int) Math.ceil(Math.sqrt(n));
            while ((long) r * r < n) r++;
            while (r > 1 && (long) (r - 1) * (r - 1) >= n) r--;
            return Math.max(1, r);
        }
    }

    private final Config config;

    public SparseTransformer(Config config, AttentionDims dims) {
        super(dims);
        this.config = config;
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    protected <T> T attend(Ops<T> ops, String prefix, T q, T k, T v, T keyPadding) {
        long[] s = ops.shape(q);
        long b = s[0], h = s[1], n = s[2], dh = s[3];
        long l = Math.min(config.strideFor((int) n), n);                       // a block never exceeds the sequence
        long padded = Chunks.paddedLength(n, l), m = padded / l;
        T keyBias = Chunks.keyBias(ops, keyPadding, n, padded);                // (B|1, N): 0 key, NEG padding
        q = blocks(ops, ops.mul(q, 1.0 / Math.sqrt(dh)), padded, m, l);        // (B, H, m, l, Dh), scaled as in Eq. (2)
        k = blocks(ops, k, padded, m, l);
        v = blocks(ops, v, padded, m, l);
        T biasBlocks = ops.reshape(keyBias, ops.size(keyBias, 0), 1, m, 1, l); // (B|1, 1, m, 1, l)
        T out = config.pattern() == Pattern.STRIDED
            ? strided(ops, q, k, v, keyBias, biasBlocks, m, l)
            : fixed(ops, q, k, v, biasBlocks, m, l);                           // (B, H, m, l, Dh)
        return ops.slice(ops.reshape(out, b, h, padded, dh), 2, 0, n);         // (B, H, T, Dh)
    }

    /** (B, H, T, Dh) → (B, H, m, l, Dh), zero-padded to m·l positions (masked as keys by the key bias). */
    private static <T> T blocks(Ops<T> ops, T x, long padded, long m, long l) {
        long[] s = ops.shape(x);
        return ops.reshape(Chunks.padAxis(ops, x, 2, padded - s[2], 0.0), s[0], s[1], m, l, s[3]);
    }

    /** Strided: A^(1) from the neighbouring blocks, A^(2) along the grid's columns; one softmax over both. */
    private <T> T strided(Ops<T> ops, T q, T k, T v, T keyBias, T biasBlocks, long m, long l) {
        boolean causal = dims.causal();
        // A^(1): keys of blocks a−1, a (and a+1 when bidirectional), a band mask |i − j| ≤ l inside them
        T localK = neighbours(ops, k, 3, causal, 0.0), localV = neighbours(ops, v, 3, causal, 0.0); // (B, H, m, wl, Dh)
        T localBias = ops.add(neighbours(ops, biasBlocks, 4, causal, Masks.NEG),
            ops.constant(bandMask(l, causal, ops.dataType())));                             // (B|1, 1, m, l, wl)
        T localScores = ops.add(ops.matmul(q, localK, false, true), localBias);            // (B, H, m, l, wl)
        if (m <= 2) return ops.matmul(ops.softmax(localScores, -1), localV);               // A^(2) adds nothing new
        // A^(2): position r of the other blocks b, not already in A^(1): b ≤ a − 2 (causal) or |a − b| ≥ 2
        T qc = byColumn(ops, q), kc = byColumn(ops, k), vc = byColumn(ops, v);              // (B, H, l, m, Dh)
        T columnBias = ops.add(ops.permute(ops.reshape(keyBias, ops.size(keyBias, 0), 1, m, 1, l), 0, 1, 4, 3, 2),
            ops.constant(columnMask(m, causal, ops.dataType()).reshape(1, 1, 1, m, m)));   // (B|1, 1, l, 1, m) + (m, m)
        T columnScores = ops.add(ops.matmul(qc, kc, false, true), columnBias);             // (B, H, l, m, m)
        // one softmax over A^(1) ∪ A^(2) (the merged head), without joining the two score arrays: a common row maximum,
        // unnormalised weights, values summed, one division by the summed normaliser
        T rowMax = ops.stopGradient(ops.max(ops.concat(-1, ops.max(localScores, true, -1),
            byColumn(ops, ops.max(columnScores, true, -1))), true, -1));                      // (B, H, m, l, 1)
        T localW = ops.exp(ops.sub(localScores, rowMax));                                   // (B, H, m, l, wl)
        T columnW = ops.exp(ops.sub(columnScores, byColumn(ops, rowMax)));                  // (B, H, l, m, m)
        T norm = ops.add(ops.sum(localW, true, -1), byColumn(ops, ops.sum(columnW, true, -1))); // (B, H, m, l, 1)
        T mixed = ops.add(ops.matmul(localW, localV), byColumn(ops, ops.matmul(columnW, vc))); // (B, H, m, l, Dh)
        return ops.div(mixed, norm);
    }

    /** Fixed: A^(1) inside the block, A^(2) the last c positions of the other blocks; one softmax over both. */
    private <T> T fixed(Ops<T> ops, T q, T k, T v, T biasBlocks, long m, long l) {
        boolean causal = dims.causal();
        T localBias = causal ? ops.add(biasBlocks, ops.constant(bandMask(l, 0, l, true, ops.dataType()))) : biasBlocks; // (B|1, 1, m, 1|l, l)
        T localScores = ops.add(ops.matmul(q, k, false, true), localBias);                 // (B, H, m, l, l)
        if (m == 1) return ops.matmul(ops.softmax(localScores, -1), v);                    // one block: A^(2) ⊂ A^(1)
        long c = Math.min(config.summary(), l), b = ops.size(q, 0), h = ops.size(q, 1), dh = ops.size(q, 4);
        T summaryK = ops.reshape(ops.slice(k, 3, l - c, l), b, h, m * c, dh);               // (B, H, m·c, Dh)
        T summaryV = ops.reshape(ops.slice(v, 3, l - c, l), b, h, m * c, dh);
        T summaryBias = ops.add(ops.reshape(ops.slice(biasBlocks, 4, l - c, l), ops.size(biasBlocks, 0), 1, 1, 1, m * c),
            ops.constant(summaryMask(m, c, causal, ops.dataType())));                       // (B|1, 1, m, 1, m·c)
        T summaryScores = ops.add(ops.reshape(ops.matmul(ops.reshape(q, b, h, m * l, dh), summaryK, false, true), b, h, m, l, m * c),
            summaryBias);                                                                   // (B, H, m, l, m·c)
        // one softmax over A^(1) ∪ A^(2) (the merged head), without joining the two score arrays (as in strided)
        T rowMax = ops.stopGradient(ops.max(ops.concat(-1, ops.max(localScores, true, -1), ops.max(summaryScores, true, -1)), true, -1));
        T localW = ops.exp(ops.sub(localScores, rowMax));                                   // (B, H, m, l, l)
        T summaryW = ops.exp(ops.sub(summaryScores, rowMax));                               // (B, H, m, l, m·c)
        T norm = ops.add(ops.sum(localW, true, -1), ops.sum(summaryW, true, -1));          // (B, H, m, l, 1)
        T fromSummaries = ops.reshape(ops.matmul(ops.reshape(summaryW, b, h, m * l, m * c), summaryV), b, h, m, l, dh);
        return ops.div(ops.add(ops.matmul(localW, v), fromSummaries), norm);               // (B, H, m, l, Dh)
    }

    /** Swaps the block axis (2) and the within-block axis (3): rows of the grid ↔ its columns. Its own inverse. */
    private static <T> T byColumn(Ops<T> ops, T x) {
        return ops.permute(x, 0, 1, 3, 2, 4);
    }

    /**
     * Blocks a−1 and a (and a+1 when bidirectional) side by side: x has the block axis at 2 and positions
     * inside a block at {@code axis}; missing neighbours (before the first block, after the last) are {@code fill}.
     */
    private static <T> T neighbours(Ops<T> ops, T x, int axis, boolean causal, double fill) {
        T previous = Chunks.shift(ops, x, 2, 1, fill);
        return causal ? ops.concat(axis, previous, x) : ops.concat(axis, previous, x, Chunks.shift(ops, x, 2, -1, fill));
    }

    /** (l, wl) band of A^(1) for the keys of {@link #neighbours}: key t sits at offset p = t − l from the block start. */
    static INDArray bandMask(long l, boolean causal, DataType type) {
        return bandMask(l, -l, causal ? l : 2 * l, causal, type);
    }

    /** (l, to − from): 0 where a query at r may attend a key at offset p ∈ [from, to): 0 ≤ r − p ≤ l (causal) or |r − p| ≤ l. */
    private static INDArray bandMask(long l, long from, long to, boolean causal, DataType type) {
        long w = to - from;
        double[] bias = new double[Math.toIntExact(l * w)];
        for (long r = 0; r < l; r++)
            for (long p = from; p < to; p++) {
                long d = r - p;
                boolean ok = causal ? d >= 0 && d <= l : Math.abs(d) <= l;
                bias[(int) (r * w + p - from)] = ok ? 0 : Masks.NEG;
            }
        return Nd4j.create(bias, new long[] {l, w}, DataType.DOUBLE).castTo(type);
    }

    /** (m, m) over query block a, key block b: 0 where b ≤ a − 2 (causal) or |a − b| ≥ 2 — A^(2) minus A^(1). */
    static INDArray columnMask(long m, boolean causal, DataType type) {
        double[] bias = new double[Math.toIntExact(m * m)];
        for (long a = 0; a < m; a++)
            for (long b = 0; b < m; b++) bias[(int) (a * m + b)] = (causal ? b <= a - 2 : Math.abs(a - b) >= 2) ? 0 : Masks.NEG;
        return Nd4j.create(bias, new long[] {m, m}, DataType.DOUBLE).castTo(type);
    }

    /** (m, 1, m·c) over query block a, summary key (block b, one of c): 0 where b &lt; a (causal) or b ≠ a — A^(2) minus A^(1). */
    static INDArray summaryMask(long m, long c, boolean causal, DataType type) {
        double[] bias = new double[Math.toIntExact(m * m * c)];
        for (long a = 0; a < m; a++)
            for (long t = 0; t < m * c; t++) {
                long b = t / c;
                bias[(int) (a * m * c + t)] = (causal ? b < a : b != a) ? 0 : Masks.NEG;
            }
        return Nd4j.create(bias, new long[] {m, 1, m * c}, DataType.DOUBLE).castTo(type);
    }
}
