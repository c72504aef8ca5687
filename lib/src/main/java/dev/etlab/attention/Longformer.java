package dev.etlab.attention;

import dev.etlab.Check;
import dev.etlab.Simd;
import dev.etlab.nn.Init;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Longformer: each token attends to a sliding window of w keys on each side (optionally dilated),
 * plus a few global tokens that attend to, and are attended by, every token; O(T·(w + G)) time
 * and memory. Beltagy, Peters and Cohan 2020, "Longformer: The Long-Document Transformer",
 * https://arxiv.org/abs/2004.05150
 *
 * <pre>
 * window:  query i sees keys j = i + d·t, |t| ≤ w (causal: −w ≤ t ≤ 0)          (Section 3.1, Fig. 2b, 2c)
 * global:  rows g ∈ G see every key; every row sees the keys g ∈ G               (Section 3.1, Fig. 2d)
 * Attention(Q, K, V) = softmax(QKᵀ/√d_k)V over those pairs only                   (Eq. 1)
 * </pre>
 * Our w is one-sided: the paper's "window size" is 2w. The window is computed by chunks: the
 * positions of one residue class mod d (dilation) are cut into chunks of w, and each chunk of
 * queries meets its own chunk and its neighbours — a (w × 3w) block of scores per chunk ((w × 2w)
 * causal), masked to the band, never a (T × T) matrix. T is padded to a multiple of d·w inside and
 * the padding removed before returning. Global rows use their own projections Q_g, K_g, V_g
 * (Section 3.1, "Linear Projections for Global Attention"); the other rows score the global keys
 * with the ordinary K_s, V_s, in the same softmax as their window, each global key counted once.
 * A few rows are picked, and put back, by slices of runs of consecutive indices (no gather).
 *
 * <p>On float32 with the Vector API loaded ({@link Simd#enabled()}), dilation 1 and no global token, the eager
 * ({@link NdOps}) and tape ({@link TapeOps}) engines run the window as banded FlashAttention instead
 * ({@link VectorWindow}: four query rows against their 2w + 4 keys, in registers, backward by recomputation); the
 * chunked path is its twin and still runs everything else (float64, dilation &gt; 1, global tokens, SameDiff).
 */
public final class Longformer extends MultiHeadAttention {

    /** Which projections the global rows use. */
    public enum GlobalProjections {
        /** Q_g, K_g, V_g of their own, as in the paper (Section 3.1). */
        SEPARATE,
        /** the same Q, K, V as the window: then the layer is exactly its pattern applied to standard attention. */
        SHARED
    }

    /**
     * @param window            w ≥ 1, keys on each side of the query (one-sided; the paper's window size is 2w)
     * @param dilation          d ≥ 1, gap between attended keys (the paper's dilated window, Fig. 2c; 1 = none)
     * @param global            positions with global attention, distinct, ≥ 0 (e.g. {0} for a [CLS] token); stored sorted
     * @param globalProjections SEPARATE (the paper) or SHARED with the window
     */
    public record Config(int window, int dilation, int[] global, GlobalProjections globalProjections)
        implements AttentionConfig, SparsePattern {
        public Config {
            Check.arg(window >= 1, "window", window, "at least 1 key on each side of the query (the paper's window size is 2w)");
            Check.arg(dilation >= 1, "dilation", dilation, "at least 1 (1 = no gaps inside the window)");
            Check.arg(global != null, "global", null, "an array of global positions (empty for none)");
            global = global.clone();
            Arrays.sort(global);
            for (int i = 0; i < global.length; i++) {
                Check.arg(global[i] >= 0, "global", Arrays.toString(global), "positions ≥ 0");
                Check.arg(i == 0 || global[i] != global[i - 1], "global", Arrays.toString(global), "distinct positions");
            }
            Check.arg(globalProjections != null, "globalProjections", null, "SEPARATE or SHARED");
        }

        /** A sliding window of w keys on each side, no dilation, no global tokens. */
        public static Config of(int window) {
            return new Config(window, 1, new int[0], GlobalProjections.SEPARATE);
        }

        /** For a classifier reading a [CLS] token at position 0: the window plus global attention on position 0 (Section 4.2). */
        public static Config classifier(int window) {
            return of(window).withGlobal(0);
        }

        public Config withWindow(int w) { return new Config(w, dilation, global, globalProjections); }
        public Config withDilation(int d) { return new Config(window, d, global, globalProjections); }
        public Config withGlobal(int... positions) { return new Config(window, dilation, positions, globalProjections); }
        public Config withGlobalProjections(GlobalProjections p) { return new Config(window, dilation, global, p); }

        /** A copy: the record's array must not be changed from outside. */
        @Override public int[] global() { return global.clone(); }

        @Override public String kind() { return "longformer"; }

        /** Whether key j lies in query i's (dilated) window: same residue mod d and at most w·d away (causal: not after i). */
        public boolean inWindow(int query, int key, boolean causal) {
            int delta = query - key;
            return delta % dilation == 0 && Math.abs(delta) <= (long) window * dilation && (!causal || delta >= 0);
        }

        public boolean isGlobal(int position) {
            return Arrays.binarySearch(global, position) >= 0;
        }

        @Override
        public boolean allows(int query, int key, int length, boolean causal) {
            return inWindow(query, key, causal) || isGlobal(query) || isGlobal(key);
        }

        @Override
        public Attention build(AttentionDims dims) {
            Check.arg(window <= dims.maxLen(), "window", window, "at most maxLen = " + dims.maxLen() + " (a window wider than the sequence)");
            int last = global.length == 0 ? -1 : global[global.length - 1];
            Check.arg(last < dims.maxLen(), "global", Arrays.toString(global), "positions below maxLen = " + dims.maxLen());
            return new Longformer(this, dims);
        }

        @Override public boolean equals(Object o) {
            return o instanceof Config c && c.window == window && c.dilation == dilation && Arrays.equals(c.global, global)
                && c.globalProjections == globalProjections;
        }

        @Override public int hashCode() {
            return ((window * 31 + dilation) * 31 + Arrays.hashCode(global)) * 31 + globalProjections.hashCode();
        }

        @Override public String toString() {
            return "Longformer.Config[window=" + window + ", dilation=" + dilation + ", global=" + Arrays.toString(global)
                + ", globalProjections=" + globalProjections + "]";
        }
    }

    private final Config config;
    private final int[] global;
    private final boolean simd;

    public Longformer(Config config, AttentionDims dims) {
        this(config, dims, Simd.enabled());
    }

    /** With simd = false the window always takes the chunked path ({@link VectorWindow}'s twin): the tests compare the two. */
    Longformer(Config config, AttentionDims dims, boolean simd) {
        super(dims);
        this.config = config;
        this.global = config.global();
        this.simd = simd;
    }

    @Override
    public Config config() {
        return config;
    }

    private boolean separate() {
        return global.length > 0 && config.globalProjections() == GlobalProjections.SEPARATE;
    }

    @Override
    protected void declareExtra(ParamStore store, String prefix) {
        if (!separate()) return;
        int d = dims.dModel();
        for (String w : new String[] {"wqg", "wkg", "wvg"}) {   // Q_g, K_g, V_g (Section 3.1)
            store.declare(prefix + w, Init.xavier(), d, d);
            store.declare(prefix + "b" + w.substring(1), Init.zeros(), d);
        }
    }

    @Override
    public <T> T apply(Ops<T> ops, String prefix, T x, T keyPadding) {
        long n = ops.size(x, 1);
        if (global.length > 0) {
            Check.arg(global[global.length - 1] < n, "global", Arrays.toString(global), "positions below the sequence length " + n);
        }
        T q = project(ops, x, prefix, "q"), k = project(ops, x, prefix, "k"), v = project(ops, x, prefix, "v"); // (B, H, T, Dh)
        T heads = attend(ops, prefix, q, k, v, keyPadding);                                                   // (B, H, T, Dh)
        if (global.length > 0) heads = Chunks.replaceRows(ops, heads, 2, global, globalRows(ops, prefix, x, q, k, v, keyPadding));
        return ops.linear(mergeHeads(ops, heads), ops.param(prefix + "wo"), ops.param(prefix + "bo"));       // (B, T, D)
    }

    /** x (B, T, D) · W + b → (B, H, T, Dh), with the projection named {@code w<which>}, {@code b<which>}. */
    private <T> T project(Ops<T> ops, T x, String prefix, String which) {
        return splitHeads(ops, ops.linear(x, ops.param(prefix + "w" + which), ops.param(prefix + "b" + which)));
    }

    /** Every row's window, and the global keys, in one softmax (global rows are replaced afterwards by {@link #globalRows}). */
    @Override
    @SuppressWarnings("unchecked")
    protected <T> T attend(Ops<T> ops, String prefix, T q, T k, T v, T keyPadding) {
        if (vectorWindow(ops)) {
            double scale = 1.0 / Math.sqrt(ops.size(q, 3));
            if (ops instanceof TapeOps tape) {
                return (T) onTape(tape, (Var) q, (Var) k, (Var) v, keyPadding == null ? null : ((Var) keyPadding).value(), scale);
            }
            return (T) new VectorWindow((NdOps) ops, config.window(), dims.causal())
                .forward((INDArray) q, (INDArray) k, (INDArray) v, (INDArray) keyPadding, scale)[0];
        }
        return chunked(ops, q, k, v, keyPadding);
    }

    /** Whether the window runs on {@link VectorWindow}: float32 eager or tape, Vector API on, dilation 1, no global token. */
    private boolean vectorWindow(Ops<?> ops) {
        return simd && ops.dataType() == DataType.FLOAT && config.dilation() == 1 && global.length == 0
            && (ops instanceof NdOps || ops instanceof TapeOps);
    }

    /** The banded forward now (keeping O and L), its backward by recomputation when the tape gets there. */
    private Var onTape(TapeOps tape, Var q, Var k, Var v, INDArray keyPadding, double scale) {
        NdOps nd = NdOps.of(name -> { throw new IllegalStateException("no parameters in the attention kernel"); }, tape.dataType());
        VectorWindow kernel = new VectorWindow(nd, config.window(), dims.causal());
        INDArray[] outAndLse = kernel.forward(q.value(), k.value(), v.value(), keyPadding, scale);
        return tape.custom(new Var[] {q, k, v}, new INDArray[] {outAndLse[0]},
            g -> kernel.backward(q.value(), k.value(), v.value(), keyPadding, scale, outAndLse[0], outAndLse[1], g[0]))[0];
    }

    /** The window by chunks of w queries against (w × 3w) blocks of keys, with the global keys in the same softmax. */
    private <T> T chunked(Ops<T> ops, T q, T k, T v, T keyPadding) {
        long[] s = ops.shape(q);
        long b = s[0], h = s[1], n = s[2], dh = s[3];
        int w = config.window(), d = config.dilation();
        int before = 1, after = dims.causal() ? 0 : 1;
        long padded = Chunks.paddedLength(n, (long) w * d), groups = padded / w;  // groups = d·m chunks of w
        long context = (long) (before + 1 + after) * w;
        T qs = Chunks.padAxis(ops, ops.mul(q, 1.0 / Math.sqrt(dh)), 2, padded - n, 0.0); // (B, H, T', Dh), scaled for Eq. (1)
        T qc = ops.reshape(Chunks.blocks(ops, qs, w, d), b, h, groups, w, dh);           // (B, H, d·m, w, Dh)
        T kc = neighbourhood(ops, k, padded, before, after);                             // (B, H, d·m, 3w, Dh)
        T vc = neighbourhood(ops, v, padded, before, after);
        T scores = ops.add(ops.matmul(qc, kc, false, true), ops.constant(band(w, before, after, ops.dataType()))); // (B, H, d·m, w, 3w)
        T invalid = keyPadding == null                                                  // one constant: no graph op between constants
            ? ops.constant(rangeBias(n, padded, before, after).castTo(ops.dataType()).mul(notSelf(w, before, after, ops.dataType())))
            : ops.mul(keyValidity(ops, keyPadding, n, padded, before, after), ops.constant(notSelf(w, before, after, ops.dataType())));
        scores = ops.add(scores, invalid);                                               // keys out of range or padding, except the query itself
        if (global.length == 0) {
            T probs = ops.softmax(scores, -1);
            return ops.slice(Chunks.unblocks(ops, ops.matmul(probs, vc), d), 2, 0, n);    // (B, H, T, Dh)
        }
        int g = global.length;
        T kg = Chunks.rows(ops, k, 2, global), vg = Chunks.rows(ops, v, 2, global);        // (B, H, G, Dh)
        T globalScores = ops.matmul(ops.reshape(qc, b, h, padded, dh), kg, false, true);  // (B, H, T', G), chunk order
        globalScores = ops.add(globalScores, ops.constant(globalColumnBias(n, padded)));  // a global key inside the window counts once
        if (keyPadding != null) globalScores = ops.add(globalScores, Masks.paddingBias(ops, Chunks.rows(ops, keyPadding, 1, global)));
        T probs = ops.softmax(ops.concat(-1, scores, ops.reshape(globalScores, b, h, groups, w, g)), -1); // (B, H, d·m, w, 3w + G)
        T local = ops.matmul(ops.slice(probs, -1, 0, context), vc);                                      // (B, H, d·m, w, Dh)
        T fromGlobal = ops.matmul(ops.reshape(ops.slice(probs, -1, context, context + g), b, h, padded, g), vg); // (B, H, T', Dh)
        T out = ops.add(local, ops.reshape(fromGlobal, b, h, groups, w, dh));
        return ops.slice(Chunks.unblocks(ops, out, d), 2, 0, n);                                            // (B, H, T, Dh)
    }

    /** k or v (B, H, T, Dh) → each chunk's keys: its own chunk and its neighbours, (B, H, d·m, (before + 1 + after)·w, Dh). */
    private <T> T neighbourhood(Ops<T> ops, T x, long padded, int before, int after) {
        long[] s = ops.shape(x);
        int w = config.window();
        T blocks = Chunks.blocks(ops, Chunks.padAxis(ops, x, 2, padded - s[2], 0.0), w, config.dilation());
        return ops.reshape(Chunks.withNeighbours(ops, blocks, before, after), s[0], s[1], padded / w, (long) (before + 1 + after) * w, s[3]);
    }

    /** (1, 1, 1, w, 3w) additive mask of the band: query a of a chunk sees context slot c iff the key is within w of it (causal: not after it). */
    static INDArray band(int w, int before, int after, DataType type) {
        int context = (before + 1 + after) * w;
        double[] m = new double[w * context];
        for (int a = 0; a < w; a++) {
            for (int c = 0; c < context; c++) {
                int t = c - before * w - a;                                  // key index − query index, in units of d
                boolean ok = after == 0 ? t >= -w && t <= 0 : Math.abs(t) <= w;
                m[a * context + c] = ok ? 0 : Masks.NEG;
            }
        }
        return Nd4j.create(m, new long[] {1, 1, 1, w, context}, DataType.DOUBLE).castTo(type);
    }

    /**
     * (1, 1, 1, w, 3w): 0 at each query's own slot, 1 elsewhere. A padding query keeps its own key, so no row is
     * entirely masked: ND4J's float64 softmax does not subtract the row maximum, and a row whose scores all sit at
     * {@link Masks#NEG} would be 0/0 = NaN — in the padding rows' outputs and, through them, in every gradient.
     */
    static INDArray notSelf(int w, int before, int after, DataType type) {
        int context = (before + 1 + after) * w;
        INDArray m = Nd4j.ones(DataType.DOUBLE, 1, 1, 1, w, context);
        for (int a = 0; a < w; a++) m.putScalar(new long[] {0, 0, 0, a, (long) before * w + a}, 0.0);
        return m.castTo(type);
    }

    /** (1, 1, d·m, 1, 3w) additive mask over each chunk's context keys: NEG for keys before 0 or past T. */
    private INDArray rangeBias(long n, long padded, int before, int after) {
        int w = config.window(), d = config.dilation();
        long groups = padded / w, m = groups / d, context = (long) (before + 1 + after) * w;
        double[] bias = new double[Math.toIntExact(groups * context)];
        for (int r = 0; r < d; r++)
            for (long j = 0; j < m; j++)
                for (int c = 0; c < context; c++) {
                    long index = (j - before) * w + c;                      // position within the residue class
                    long position = index * d + r;
                    bias[(int) (((r * m) + j) * context + c)] = index >= 0 && position < n ? 0 : Masks.NEG;
                }
        return Nd4j.create(bias, new long[] {1, 1, groups, 1, context}, DataType.DOUBLE);
    }

    /** Additive mask over each chunk's context keys, (B, 1, d·m, 1, 3w): NEG for keys before 0, past T, or padding. */
    private <T> T keyValidity(Ops<T> ops, T keyPadding, long n, long padded, int before, int after) {
        int w = config.window(), d = config.dilation();
        long groups = padded / w, context = (long) (before + 1 + after) * w;
        long b = ops.size(keyPadding, 0);
        T valid = ops.reshape(Chunks.padAxis(ops, keyPadding, 1, padded - n, 0.0), b, 1, padded, 1);       // (B, 1, T', 1)
        T chunked = Chunks.withNeighbours(ops, Chunks.blocks(ops, valid, w, d), before, after);            // (B, 1, d, m, 3w, 1)
        return ops.mul(ops.add(ops.reshape(chunked, b, 1, groups, 1, context), -1.0), -Masks.NEG);         // 1 → 0, 0 → NEG
    }

    /** (1, 1, T', G) in chunk order: NEG where global key g is already in row i's window (or after i, causal). */
    private INDArray globalColumnBias(long n, long padded) {
        int w = config.window(), d = config.dilation(), g = global.length;
        long m = padded / ((long) w * d);
        double[] bias = new double[Math.toIntExact(padded * g)];
        for (int r = 0; r < d; r++)
            for (long j = 0; j < m; j++)
                for (int a = 0; a < w; a++) {
                    long row = (r * m + j) * w + a, i = (j * w + a) * d + r;   // chunk-order row, sequence position
                    for (int c = 0; c < g; c++) {
                        boolean seen = i < n && config.inWindow((int) i, global[c], dims.causal());
                        boolean future = dims.causal() && global[c] > i;
                        bias[(int) (row * g + c)] = seen || future ? Masks.NEG : 0;
                    }
                }
        return Nd4j.create(bias, new long[] {1, 1, padded, g}, DataType.DOUBLE);
    }

    /** The global rows: each global query against every key, with Q_g, K_g, V_g (or the shared ones), (B, H, G, Dh). */
    private <T> T globalRows(Ops<T> ops, String prefix, T x, T q, T k, T v, T keyPadding) {
        long n = ops.size(x, 1);
        // Q_g of every position, then the global rows: projecting only the G rows fails in SameDiff's backward when B·G = 1
        // (xw_plus_b's bias gradient reduces a single row: NullPointerException in BaseReduceOp.noOp); O(T·D²) like K_g, V_g
        T qg = Chunks.rows(ops, separate() ? project(ops, x, prefix, "qg") : q, 2, global);                            // (B, H, G, Dh)
        T keys = separate() ? project(ops, x, prefix, "kg") : k;                                                       // (B, H, T, Dh)
        T values = separate() ? project(ops, x, prefix, "vg") : v;
        T scores = ops.matmul(ops.mul(qg, 1.0 / Math.sqrt(dims.headDim())), keys, false, true);                     // (B, H, G, T)  Eq. (1)
        if (dims.causal()) {
            double[] bias = new double[Math.toIntExact(global.length * n)];
            for (int c = 0; c < global.length; c++) for (long j = global[c] + 1; j < n; j++) bias[(int) (c * n + j)] = Masks.NEG;
            scores = ops.add(scores, ops.constant(Nd4j.create(bias, new long[] {1, 1, global.length, n}, DataType.DOUBLE)));
        }
        if (keyPadding != null) {                                                 // a padding global row keeps its own key (see notSelf)
            INDArray own = Nd4j.ones(DataType.DOUBLE, 1, 1, global.length, n);
            for (int c = 0; c < global.length; c++) own.putScalar(new long[] {0, 0, c, global[c]}, 0.0);
            scores = ops.add(scores, ops.mul(Masks.paddingBias(ops, keyPadding), ops.constant(own)));
        }
        return ops.matmul(ops.softmax(scores, -1), values);                                                            // (B, H, G, Dh)
    }
}
