package dev.etlab.attention;

import dev.etlab.Check;
import dev.etlab.Simd;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.StepMemory;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Exact softmax attention without the (T × T) matrix: the honest baseline for every "efficient"
 * mechanism. Same result as {@link StandardAttention} (to float rounding), memory linear in T.
 *
 * <p>Rabe and Staats 2021, "Self-attention does not need O(n²) memory", https://arxiv.org/abs/2112.05682;
 * Dao et al. 2022, "FlashAttention", https://arxiv.org/abs/2205.14135 (Algorithms 1 and 2; the
 * backward's D = rowsum(dO ⊙ O) as in FlashAttention-2, Dao 2023, Algorithm 2).
 *
 * <p><b>Forward</b> (online softmax). For each block of queries Q_i, walk the blocks of keys K_j,
 * keeping per query row a running maximum m, a running normaliser ℓ and an unnormalised output O:
 * <pre>
 * S = Q_i K_jᵀ / √d (+ masks)      m' = max(m, rowmax S)      P = exp(S − m')
 * ℓ ← ℓ·e^(m − m') + rowsum P       O ← O·e^(m − m') + P V_j     m ← m'
 * </pre>
 * and finish with O/ℓ and the log-sum-exp L = m + log ℓ, the only extra thing kept for the backward.
 *
 * <p><b>Backward</b> (recomputation, on the {@link TapeOps} tape as a custom operation): for each
 * tile, recompute P = exp(S − L) from Q, K and L, then with D = rowsum(dO ⊙ O):
 * <pre>
 * dV_j += Pᵀ dO_i     dP = dO_i V_jᵀ     dS = P ⊙ (dP − D_i)     dQ_i += dS K_j / √d     dK_j += dSᵀ Q_i / √d
 * </pre>
 * Live memory at any time: the inputs, O, L, the gradients, and one (B, H, q-block, k-block) tile.
 * Causal: tiles entirely above the diagonal are skipped (exactly zero weight).
 *
 * <p>Two kernels compute this on plain arrays (the eager {@link NdOps} path and the {@link TapeOps} tape): by
 * default {@link FusedTiles}, which keeps the GEMMs on ND4J and does everything between them in one Java loop
 * per tile, and its twin {@link Tiles}, one ND4J call per step (~15 per tile); {@link #FUSED_PROPERTY} chooses.
 *
 * <p>On a SameDiff graph (used only to cross-check gradients) the same online softmax is written
 * with {@link Ops} primitives and SameDiff differentiates it; no single array is (T × T) there
 * either, but the graph keeps every tile for its backward pass.
 */
public final class ExactTiledAttention extends MultiHeadAttention {

    /**
     * @param queryBlock queries per tile
     * @param keyBlock   keys per tile; a tile holds B·H·queryBlock·keyBlock scores. Default 256 × 256: with the
     *                   unfused twin each tile costs ~15 ND4J calls, so small tiles were slow (one layer, T = 4096,
     *                   F+B: 3.4 s with 128 × 128 tiles, 1.3 s with 256, 1.0 s with 512); larger ones raise the
     *                   constant memory (B·H·256² floats per scratch array)
     */
    public record Config(int queryBlock, int keyBlock) implements AttentionConfig {
        public Config {
            Check.arg(queryBlock > 0, "queryBlock", queryBlock, "a positive number of queries per tile");
            Check.arg(keyBlock > 0, "keyBlock", keyBlock, "a positive number of keys per tile");
        }

        /** 256 × 256 tiles. */
        public Config() {
            this(256, 256);
        }

        @Override public String kind() { return "exact-tiled"; }
        @Override public Attention build(AttentionDims dims) { return new ExactTiledAttention(this, dims); }
    }

    /**
     * System property choosing the kernel of the eager and tape engines: {@code true} (the default) runs each tile's
     * scale–mask–online-softmax chain as one plain-Java loop ({@link FusedTiles}); {@code false} runs its twin made of
     * ND4J calls ({@link Tiles}). Read when a layer is built.
     */
    public static final String FUSED_PROPERTY = "etlab.attention.fusedTiles";

    private final Config config;
    private final boolean fused, ndExp, simd;

    public ExactTiledAttention(Config config, AttentionDims dims) {
        this(config, dims, Boolean.parseBoolean(System.getProperty(FUSED_PROPERTY, "true")), FusedTiles.ndExpByDefault(),
            Simd.enabled());
    }

    /** With the kernel chosen here instead of by {@link #FUSED_PROPERTY}: the tests compare the two. */
    ExactTiledAttention(Config config, AttentionDims dims, boolean fused) {
        this(config, dims, fused, FusedTiles.ndExpByDefault());
    }

    /** Also choosing how the fused kernel exponentiates float32 tiles ({@code etlab.attention.fusedTiles.ndExp}). */
    ExactTiledAttention(Config config, AttentionDims dims, boolean fused, boolean ndExp) {
        this(config, dims, fused, ndExp, false);
    }

    /** Also choosing whether a fused kernel may run float32 on the Vector API ({@link VectorTiles}). */
    ExactTiledAttention(Config config, AttentionDims dims, boolean fused, boolean ndExp, boolean simd) {
        super(dims);
        this.config = config;
        this.fused = fused;
        this.ndExp = ndExp;
        this.simd = simd;
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected <T> T attend(Ops<T> ops, String prefix, T q, T k, T v, T keyPadding) {
        double scale = 1.0 / Math.sqrt(dims.headDim());
        if (ops instanceof TapeOps tape) {
            return (T) onTape(tape, (Var) q, (Var) k, (Var) v, keyPadding == null ? null : ((Var) keyPadding).value(), scale);
        }
        if (ops instanceof NdOps nd) {
            INDArray pad = keyPadding == null ? null : Masks.paddingBias(nd, (INDArray) keyPadding);
            return (T) kernel(nd).forward((INDArray) q, (INDArray) k, (INDArray) v, pad, scale)[0];
        }
        return blockwise(ops, q, k, v, keyPadding == null ? null : Masks.paddingBias(ops, keyPadding), scale);
    }

    /** The tiling kernel on plain arrays, fused or not ({@link #FUSED_PROPERTY}), computing with {@code nd} (a spy in tests). */
    TileKernel kernel(Ops<INDArray> nd) {
        if (!fused) return new Tiles(nd, config.queryBlock(), config.keyBlock(), dims.causal());
        if (simd) return new VectorTiles(nd, config.queryBlock(), config.keyBlock(), dims.causal());
        return new FusedTiles(nd, config.queryBlock(), config.keyBlock(), dims.causal(), ndExp);
    }

    /** The tiled forward and its recomputing backward on (B, H, T, Dh) arrays; L is the log-sum-exp of each score row. */
    interface TileKernel {
        /** @return {O (B, H, T, Dh), L (B, H, T, 1)} */
        INDArray[] forward(INDArray q, INDArray k, INDArray v, INDArray padBias, double scale);

        /** @return {dQ, dK, dV}, each of its input's shape */
        INDArray[] backward(INDArray q, INDArray k, INDArray v, INDArray padBias, double scale, INDArray out, INDArray lse,
                            INDArray dOut);
    }

    /** Forward now (keeping O and L), backward by recomputation when the tape gets there. */
    private Var onTape(TapeOps tape, Var q, Var k, Var v, INDArray keyPadding, double scale) {
        NdOps nd = NdOps.of(name -> { throw new IllegalStateException("no parameters in the attention kernel"); }, tape.dataType());
        INDArray pad = keyPadding == null ? null : Masks.paddingBias(nd, keyPadding);
        TileKernel kernel = kernel(nd);
        INDArray[] outAndLse = kernel.forward(q.value(), k.value(), v.value(), pad, scale);
        return tape.custom(new Var[] {q, k, v}, new INDArray[] {outAndLse[0]},
            g -> kernel.backward(q.value(), k.value(), v.value(), pad, scale, outAndLse[0], outAndLse[1], g[0]))[0];
    }

    /**
     * The tiled forward and its recomputing backward on (B, H, T, Dh) arrays. Every array it makes
     * goes through {@code nd}, so a spy sees all of them.
     */
    static final class Tiles implements TileKernel {
        private final Ops<INDArray> nd;
        private final int bq, bk;
        private final boolean causal;

        Tiles(Ops<INDArray> nd, int bq, int bk, boolean causal) {
            this.nd = nd;
            this.bq = bq;
            this.bk = bk;
            this.causal = causal;
        }

        /**
         * @return {O (B, H, T, Dh), L = log-sum-exp of each score row (B, H, T, 1)}. Each tile's scratch
         * arrays live in a workspace reset at every tile ({@link StepMemory#scratch}); the running
         * m, ℓ and O of a query block are updated in place, so what is allocated outside the tiles
         * (and so what a training step's workspace accumulates) stays linear in T.
         */
        @Override
        public INDArray[] forward(INDArray q, INDArray k, INDArray v, INDArray padBias, double scale) {
            long t = q.size(2), s = k.size(2);
            List<INDArray> outs = new ArrayList<>(), lses = new ArrayList<>();
            for (long i0 = 0; i0 < t; i0 += bq) {
                long i1 = Math.min(t, i0 + bq), rows = i1 - i0;
                INDArray qi = nd.slice(q, 2, i0, i1);
                INDArray m = rowsLike(qi, Masks.NEG * 4), l = rowsLike(qi, 0);   // below any masked score: the first tile replaces them
                INDArray acc = nd.mul(qi, 0.0).castTo(v.dataType());
                long end = keyEnd(i1, t, s), from = i0;
                for (long j0 = 0; j0 < end; j0 += bk) {
                    long j1 = Math.min(s, j0 + bk), start = j0;
                    StepMemory.scratch("etlab-attention-tile", () -> {
                        INDArray scores = scores(qi, k, padBias, scale, from, from + rows, start, j1, t, s);
                        INDArray mNew = maxOf(m, nd.max(scores, true, -1));
                        INDArray p = nd.exp(nd.sub(scores, mNew));                   // P = exp(S − m')
                        INDArray correction = nd.exp(nd.sub(m, mNew));                // e^(m − m')
                        l.muli(correction).addi(nd.sum(p, true, -1));                 // ℓ ← ℓ·e^(m − m') + rowsum P
                        acc.muli(correction).addi(nd.matmul(p, nd.slice(v, 2, start, j1), false, false));
                        m.assign(mNew);
                    });
                }
                outs.add(nd.div(acc, l));
                lses.add(nd.add(m, nd.log(l)));                                          // L = m + log ℓ
            }
            return new INDArray[] {nd.concat(2, outs), nd.concat(2, lses)};
        }

        /** (B, H, rows, 1) filled with {@code value}, through the spied ops. */
        private INDArray rowsLike(INDArray qi, double value) {
            return nd.add(nd.mul(nd.sum(qi, true, -1), 0.0), value);
        }

        /** @return {dQ, dK, dV}, each of its input's shape; accumulated in place, tile scratch reset per tile */
        @Override
        public INDArray[] backward(INDArray q, INDArray k, INDArray v, INDArray padBias, double scale, INDArray out, INDArray lse, INDArray dOut) {
            long t = q.size(2), s = k.size(2);
            INDArray dRow = nd.sum(nd.mul(dOut, out), true, -1);                       // D = rowsum(dO ⊙ O), (B, H, T, 1)
            List<INDArray> dq = new ArrayList<>(), dk = new ArrayList<>(), dv = new ArrayList<>();
            for (long i0 = 0; i0 < t; i0 += bq) dq.add(nd.mul(nd.slice(q, 2, i0, Math.min(t, i0 + bq)), 0.0));
            for (long j0 = 0; j0 < s; j0 += bk) {
                long j1 = Math.min(s, j0 + bk), start = j0;
                INDArray kj = nd.slice(k, 2, j0, j1), vj = nd.slice(v, 2, j0, j1);
                INDArray dkj = nd.mul(kj, 0.0), dvj = nd.mul(vj, 0.0);
                for (long i0 = 0; i0 < t; i0 += bq) {
                    long i1 = Math.min(t, i0 + bq), from = i0;
                    if (j0 >= keyEnd(i1, t, s)) continue;                                // the whole tile is in the future
                    INDArray dqi = dq.get((int) (i0 / bq));
                    StepMemory.scratch("etlab-attention-tile", () -> {
                        INDArray qi = nd.slice(q, 2, from, i1), doi = nd.slice(dOut, 2, from, i1);
                        INDArray p = nd.exp(nd.sub(scores(qi, k, padBias, scale, from, i1, start, j1, t, s), nd.slice(lse, 2, from, i1)));
                        INDArray dp = nd.matmul(doi, vj, false, true);
                        INDArray ds = nd.mul(p, nd.sub(dp, nd.slice(dRow, 2, from, i1)));    // dS = P ⊙ (dP − D)
                        dvj.addi(nd.matmul(p, doi, true, false));                            // dV_j += Pᵀ dO_i
                        dkj.addi(nd.mul(nd.matmul(ds, qi, true, false), scale));             // dK_j += dSᵀ Q_i / √d
                        dqi.addi(nd.mul(nd.matmul(ds, kj, false, false), scale));            // dQ_i += dS K_j / √d
                    });
                }
                dk.add(dkj);
                dv.add(dvj);
            }
            return new INDArray[] {nd.concat(2, dq), nd.concat(2, dk), nd.concat(2, dv)};
        }

        /** Keys [0, end) can be seen by queries [.., i1): all of them, or (causal) up to the last query's own position. */
        private long keyEnd(long i1, long t, long s) {
            return causal ? Math.min(s, i1 + (s - t)) : s;
        }

        /** One tile of scaled scores with its masks: (B, H, i1 − i0, j1 − j0). */
        private INDArray scores(INDArray qi, INDArray k, INDArray padBias, double scale, long i0, long i1, long j0, long j1, long t, long s) {
            INDArray scores = nd.mul(nd.matmul(qi, nd.slice(k, 2, j0, j1), false, true), scale);
            if (causal && j1 - 1 > i0 + (s - t)) scores = nd.add(scores, nd.constant(causalTile(i0, i1, j0, j1, s - t, qi.dataType())));
            if (padBias != null) scores = nd.add(scores, nd.slice(padBias, 3, j0, j1));
            return scores;
        }

        private INDArray maxOf(INDArray a, INDArray b) {
            // max(a, b) = b + relu(a − b), in the ops a spy sees
            return nd.add(b, nd.relu(nd.sub(a, b)));
        }

        /** (1, 1, rows, cols) bias of the tile: 0 where key ≤ query + offset, {@link Masks#NEG} elsewhere. */
        private static INDArray causalTile(long i0, long i1, long j0, long j1, long offset, DataType type) {
            int rows = (int) (i1 - i0), cols = (int) (j1 - j0);
            double[] data = new double[rows * cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) data[r * cols + c] = j0 + c <= i0 + r + offset ? 0 : Masks.NEG;
            }
            return org.nd4j.linalg.factory.Nd4j.create(data, new long[] {1, 1, rows, cols}, DataType.DOUBLE).castTo(type);
        }
    }

    /**
     * The same online softmax written with {@link Ops} primitives, for engines that differentiate
     * it themselves (a SameDiff graph). The running maximum carries no gradient: the result does
     * not depend on it.
     */
    private <T> T blockwise(Ops<T> ops, T q, T k, T v, T padBias, double scale) {
        long t = ops.size(q, 2), s = ops.size(k, 2);
        int bq = config.queryBlock(), bk = config.keyBlock();
        boolean causal = dims.causal();
        List<T> outs = new ArrayList<>();
        for (long i0 = 0; i0 < t; i0 += bq) {
            long i1 = Math.min(t, i0 + bq);
            T qi = ops.slice(q, 2, i0, i1);
            T m = null, l = null, acc = null;
            long end = causal ? Math.min(s, i1 + (s - t)) : s;
            for (long j0 = 0; j0 < end; j0 += bk) {
                long j1 = Math.min(s, j0 + bk);
                T scores = ops.mul(ops.matmul(qi, ops.slice(k, 2, j0, j1), false, true), scale);
                if (causal && j1 - 1 > i0 + (s - t)) {
                    scores = ops.add(scores, ops.constant(Tiles.causalTile(i0, i1, j0, j1, s - t, ops.dataType())));
                }
                if (padBias != null) scores = ops.add(scores, ops.slice(padBias, 3, j0, j1));
                T rowMax = ops.stopGradient(ops.max(scores, true, -1));
                T mNew = m == null ? rowMax : ops.add(rowMax, ops.relu(ops.sub(m, rowMax)));
                T p = ops.exp(ops.sub(scores, mNew));
                T pv = ops.matmul(p, ops.slice(v, 2, j0, j1));
                if (m == null) {
                    l = ops.sum(p, true, -1);
                    acc = pv;
                } else {
                    T correction = ops.exp(ops.sub(m, mNew));
                    l = ops.add(ops.mul(l, correction), ops.sum(p, true, -1));
                    acc = ops.add(ops.mul(acc, correction), pv);
                }
                m = mNew;
            }
            outs.add(ops.div(acc, l));
        }
        return ops.concat(2, outs);
    }
}
