package dev.etlab.attention;

import dev.etlab.tensor.FloatArrays;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.VectorMath;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link ExactTiledAttention}'s float32 kernel written with the JDK's Vector API (incubating in Java 17, so chosen only
 * when {@link dev.etlab.Simd#enabled()}): the whole FlashAttention tile (both products, masks, online softmax, exp)
 * runs in registers, one (batch, head) pair per task, pairs spread over the cores. Dao et al. 2022, "FlashAttention",
 * https://arxiv.org/abs/2205.14135, Algorithms 1 and 2 (D = rowsum(dO ⊙ O) as in FlashAttention-2).
 *
 * <p>Layout: K and V are transposed per head into (Dh, S') arrays, S' = S rounded up to the lane count, so every
 * product runs along the keys, one vector of keys at a time, for any head size: scores s_j = Σ_c q_c Kᵀ[c, j] (a
 * broadcast query element times a key vector), (P V)_c = Σ_j p_j Vᵀ[c, j] (a dot product reduced once per key
 * block). Four query rows share each loaded key vector, which also gives four independent FMA chains. Keys past S
 * get −∞ (they weigh exactly 0); masks are added in {@link FusedTiles}' order (S/√d + causal −10⁹ + padding bias),
 * in float, and exp is {@link VectorMath#exp} (the same bits in every JIT tier, unlike the API's own EXP).
 *
 * <p>Backward per key block (dK, dV of the block stay in cache) and per four query rows, recomputing
 * P = exp(S − L): dP_j = Σ_c dO_c Vᵀ[c, j], dS = P ⊙ (dP − D), dQ_c += Σ_j dS_j Kᵀ[c, j] / √d,
 * dKᵀ[c, j] += Σ_r dS_rj q_rc / √d, dVᵀ[c, j] += Σ_r P_rj dO_rc.
 *
 * <p>Its plain twin is {@link FusedTiles} (and that one's, {@link ExactTiledAttention.Tiles}); float64 goes there.
 * Memory: Java copies of Q, K, V (and dO, O in the backward), one (Dh, S') pair per head being worked on and four
 * key-block rows of scores per head: linear in T; counted in {@link #largestJavaArray}. Results come back through
 * {@code nd}.
 */
final class VectorTiles implements ExactTiledAttention.TileKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Query rows computed together. */
    private static final int ROWS = 4;
    private static final float NEG = (float) Masks.NEG;

    /**
     * System property: {@code true} (the default) spreads the (batch, head) pairs over the cores; {@code false}, one
     * thread. Read when a kernel is made.
     */
    static final String PARALLEL_PROPERTY = "etlab.attention.vector.parallel";

    private final Ops<INDArray> nd;
    private final int keyBlock;
    private final boolean causal, parallel;
    private final ExactTiledAttention.TileKernel doubles;
    /** Elements of the largest Java array this kernel has made (for the memory test). */
    long largestJavaArray;

    VectorTiles(Ops<INDArray> nd, int bq, int bk, boolean causal) {
        this.nd = nd;
        this.keyBlock = (bk + L - 1) / L * L;
        this.causal = causal;
        this.parallel = Boolean.parseBoolean(System.getProperty(PARALLEL_PROPERTY, "true"));
        this.doubles = new FusedTiles(nd, bq, bk, causal);
    }

    /** Lanes of a float vector here (16 with AVX-512, 8 with AVX2). */
    static int lanes() {
        return L;
    }

    @Override
    public INDArray[] forward(INDArray q, INDArray k, INDArray v, INDArray padBias, double scale) {
        if (q.dataType() != DataType.FLOAT) return doubles.forward(q, k, v, padBias, scale);
        Shape sh = new Shape(q, k);
        float[] qa = floats(q), ka = floats(k), va = floats(v);
        float[] bias = keyBias(padBias, sh);
        float[] out = array((long) sh.bh * sh.t * sh.dh), lse = array((long) sh.bh * sh.t);
        eachHead(sh, g -> forwardHead(g, sh, qa, ka, va, bias, (float) scale, out, lse));
        return new INDArray[] {result(out, sh.b, sh.h, sh.t, sh.dh), result(lse, sh.b, sh.h, sh.t, 1)};
    }

    @Override
    public INDArray[] backward(INDArray q, INDArray k, INDArray v, INDArray padBias, double scale, INDArray out, INDArray lse,
                               INDArray dOut) {
        if (q.dataType() != DataType.FLOAT) return doubles.backward(q, k, v, padBias, scale, out, lse, dOut);
        Shape sh = new Shape(q, k);
        float[] qa = floats(q), ka = floats(k), va = floats(v), dO = floats(dOut), lRow = floats(lse);
        float[] dRow = VectorRows.rowDots(dO, floats(out), sh.bh * sh.t, sh.dh);       // D = rowsum(dO ⊙ O)
        float[] bias = keyBias(padBias, sh);
        float[] dq = array((long) sh.bh * sh.t * sh.dh), dk = array((long) sh.bh * sh.s * sh.dh), dv = array((long) sh.bh * sh.s * sh.dh);
        eachHead(sh, g -> backwardHead(g, sh, qa, ka, va, dO, lRow, dRow, bias, (float) scale, dq, dk, dv));
        return new INDArray[] {result(dq, sh.b, sh.h, sh.t, sh.dh), result(dk, sh.b, sh.h, sh.s, sh.dh),
            result(dv, sh.b, sh.h, sh.s, sh.dh)};
    }

    /** Sizes of a call: (B, H, T, Dh) queries against S keys; S' = S rounded up to whole vectors. */
    private record Shape(int b, int h, int t, int s, int dh, int bh, int sPadded, long offset) {
        Shape(INDArray q, INDArray k) {
            this((int) q.size(0), (int) q.size(1), (int) q.size(2), (int) k.size(2), (int) q.size(3));
        }

        Shape(int b, int h, int t, int s, int dh) {
            this(b, h, t, s, dh, b * h, (s + L - 1) / L * L, (long) s - t);
        }
    }

    // ---------------------------------------------------------------- forward

    /** Algorithm 1 for one (batch, head) pair g: O and L of its T rows. */
    private void forwardHead(int g, Shape sh, float[] q, float[] k, float[] v, float[] bias, float scale, float[] out, float[] lse) {
        int dh = sh.dh, sp = sh.sPadded;
        float[] kt = transposed(k, g, sh), vt = transposed(v, g, sh), keyBias = biasRow(bias, g, sh);
        float[] qr = new float[ROWS * dh], scores = new float[ROWS * keyBlock], o = new float[ROWS * dh];
        float[] m = new float[ROWS], l = new float[ROWS], corr = new float[ROWS];
        for (int i0 = 0; i0 < sh.t; i0 += ROWS) {
            int rows = Math.min(ROWS, sh.t - i0);
            gatherRows(q, g, sh, i0, rows, qr);
            java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(l, 0f);
            java.util.Arrays.fill(o, 0f);
            int end = keyEnd(i0 + rows - 1, sh);
            for (int j0 = 0; j0 < end; j0 += keyBlock) {
                int width = VectorRows.roundUp(Math.min(end, j0 + keyBlock) - j0);
                scoreBlock(qr, kt, keyBias, sp, dh, i0, j0, width, scale, sh.offset, scores);   // S/√d + masks
                for (int r = 0; r < ROWS; r++) {
                    float mNew = Math.max(m[r], VectorRows.rowMax(scores, r * keyBlock, width));           // m' = max(m, rowmax S)
                    float sum = VectorRows.expInPlace(scores, r * keyBlock, width, mNew);                   // P = exp(S − m')
                    corr[r] = (float) Math.exp(m[r] - mNew);                                     // e^(m − m')
                    l[r] = l[r] * corr[r] + sum;                                                 // ℓ ← ℓ·e^(m − m') + rowsum P
                    m[r] = mNew;
                }
                if (dh == L) accumulateRows(scores, v, g * sh.s * dh, j0, Math.min(sh.s, j0 + width), corr, o);
                else accumulatePv(scores, vt, sp, dh, j0, width, corr, o);                       // O ← O·e^(m − m') + P V_j
            }
            for (int r = 0; r < rows; r++) {
                int at = g * sh.t + i0 + r;
                for (int c = 0; c < dh; c++) out[at * dh + c] = o[r * dh + c] / l[r];
                lse[at] = m[r] + (float) Math.log(l[r]);                                         // L = m + log ℓ
            }
        }
    }

    /**
     * Scaled, masked scores of the four rows in qr against keys [j0, j0 + width): scores[r·keyBlock + j − j0]. Rows
     * past T are zeros in qr (their scores are not used).
     */
    private void scoreBlock(float[] qr, float[] kt, float[] keyBias, int sp, int dh, int i0, int j0, int width, float scale,
                            long offset, float[] scores) {
        for (int jj = 0; jj < width; jj += L) {
            int j = j0 + jj;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int c = 0; c < dh; c++) {
                FloatVector key = FloatVector.fromArray(F, kt, c * sp + j);
                s0 = key.fma(FloatVector.broadcast(F, qr[c]), s0);
                s1 = key.fma(FloatVector.broadcast(F, qr[dh + c]), s1);
                s2 = key.fma(FloatVector.broadcast(F, qr[2 * dh + c]), s2);
                s3 = key.fma(FloatVector.broadcast(F, qr[3 * dh + c]), s3);
            }
            FloatVector b = FloatVector.fromArray(F, keyBias, j);
            masked(s0, scale, i0, j, offset, b).intoArray(scores, jj);
            masked(s1, scale, i0 + 1, j, offset, b).intoArray(scores, keyBlock + jj);
            masked(s2, scale, i0 + 2, j, offset, b).intoArray(scores, 2 * keyBlock + jj);
            masked(s3, scale, i0 + 3, j, offset, b).intoArray(scores, 3 * keyBlock + jj);
        }
    }

    /** x/√d, + −10⁹ where key j + lane is in query i's future (causal), + the key's bias (padding, or −∞ past S). */
    private FloatVector masked(FloatVector x, float scale, int i, int j, long offset, FloatVector keyBias) {
        x = x.mul(scale);
        if (causal && j + L - 1 > i + offset) {
            VectorMask<Float> seen = F.indexInRange(j, (int) Math.min(Integer.MAX_VALUE, Math.max(0, i + offset + 1)));
            x = x.add(FloatVector.broadcast(F, NEG), seen.not());
        }
        return x.add(keyBias);
    }

    /** o[r, c] ← o[r, c]·corr[r] + Σ_j p[r, j] Vᵀ[c, j0 + j] for the four rows. */
    private void accumulatePv(float[] p, float[] vt, int sp, int dh, int j0, int width, float[] corr, float[] o) {
        for (int c = 0; c < dh; c++) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int jj = 0; jj < width; jj += L) {
                FloatVector value = FloatVector.fromArray(F, vt, c * sp + j0 + jj);
                a0 = value.fma(FloatVector.fromArray(F, p, jj), a0);
                a1 = value.fma(FloatVector.fromArray(F, p, keyBlock + jj), a1);
                a2 = value.fma(FloatVector.fromArray(F, p, 2 * keyBlock + jj), a2);
                a3 = value.fma(FloatVector.fromArray(F, p, 3 * keyBlock + jj), a3);
            }
            o[c] = o[c] * corr[0] + a0.reduceLanes(VectorOperators.ADD);
            o[dh + c] = o[dh + c] * corr[1] + a1.reduceLanes(VectorOperators.ADD);
            o[2 * dh + c] = o[2 * dh + c] * corr[2] + a2.reduceLanes(VectorOperators.ADD);
            o[3 * dh + c] = o[3 * dh + c] * corr[3] + a3.reduceLanes(VectorOperators.ADD);
        }
    }

    /**
     * The same as {@link #accumulatePv} when a head is exactly one vector (Dh = lanes, e.g. 16 with AVX-512): x's rows
     * are read as they are (row-major, from {@code base}), each key's row multiplied by the four rows' weights and
     * added into four vector accumulators. No reductions: ~1.4× faster than the dot products. Keys [j0, jEnd) only (the
     * weights of keys past S are zero).
     */
    private void accumulateRows(float[] w, float[] x, int base, int j0, int jEnd, float[] corr, float[] o) {
        FloatVector a0 = FloatVector.fromArray(F, o, 0).mul(corr[0]), a1 = FloatVector.fromArray(F, o, L).mul(corr[1]);
        FloatVector a2 = FloatVector.fromArray(F, o, 2 * L).mul(corr[2]), a3 = FloatVector.fromArray(F, o, 3 * L).mul(corr[3]);
        int kb2 = 2 * keyBlock, kb3 = 3 * keyBlock;
        for (int j = j0; j < jEnd; j++) {
            int jj = j - j0;
            FloatVector row = FloatVector.fromArray(F, x, base + j * L);
            a0 = row.fma(FloatVector.broadcast(F, w[jj]), a0);
            a1 = row.fma(FloatVector.broadcast(F, w[keyBlock + jj]), a1);
            a2 = row.fma(FloatVector.broadcast(F, w[kb2 + jj]), a2);
            a3 = row.fma(FloatVector.broadcast(F, w[kb3 + jj]), a3);
        }
        a0.intoArray(o, 0);
        a1.intoArray(o, L);
        a2.intoArray(o, 2 * L);
        a3.intoArray(o, 3 * L);
    }

    // ---------------------------------------------------------------- backward

    /** Algorithm 2 for one (batch, head) pair g: its rows of dQ, dK and dV. */
    private void backwardHead(int g, Shape sh, float[] q, float[] k, float[] v, float[] dO, float[] lRow, float[] dRow,
                              float[] bias, float scale, float[] dq, float[] dk, float[] dv) {
        int dh = sh.dh, sp = sh.sPadded;
        float[] kt = transposed(k, g, sh), vt = transposed(v, g, sh), keyBias = biasRow(bias, g, sh);
        float[] dkt = new float[dh * sp], dvt = new float[dh * sp];
        float[] qr = new float[ROWS * dh], dor = new float[ROWS * dh], lr = new float[ROWS], dr = new float[ROWS];
        float[] p = new float[ROWS * keyBlock], ds = new float[ROWS * keyBlock], dqr = new float[ROWS * dh];
        for (int j0 = 0; j0 < sh.s; j0 += keyBlock) {
            int width = VectorRows.roundUp(Math.min(sh.s, j0 + keyBlock) - j0);
            int first = causal ? (int) Math.max(0, Math.min(sh.t, j0 - sh.offset)) / ROWS * ROWS : 0;   // rows that see a key here
            for (int i0 = first; i0 < sh.t; i0 += ROWS) {
                int rows = Math.min(ROWS, sh.t - i0);
                gatherRows(q, g, sh, i0, rows, qr);
                gatherRows(dO, g, sh, i0, rows, dor);
                for (int r = 0; r < ROWS; r++) {
                    lr[r] = r < rows ? lRow[g * sh.t + i0 + r] : 0f;                            // padding rows: P = 1, dS = 0
                    dr[r] = r < rows ? dRow[g * sh.t + i0 + r] : 0f;
                }
                scoreBlock(qr, kt, keyBias, sp, dh, i0, j0, width, scale, sh.offset, p);          // S/√d + masks
                probabilitiesAndDs(p, ds, vt, dor, lr, dr, sp, dh, j0, width);                    // P = exp(S − L), dS
                java.util.Arrays.fill(dqr, 0f);
                if (dh == L) accumulateRows(ds, k, g * sh.s * dh, j0, Math.min(sh.s, j0 + width), ONES, dqr);
                else accumulatePv(ds, kt, sp, dh, j0, width, ONES, dqr);                          // dS K_j
                for (int r = 0; r < rows; r++) {
                    int at = (g * sh.t + i0 + r) * dh;
                    for (int c = 0; c < dh; c++) dq[at + c] += dqr[r * dh + c] * scale;         // dQ_i += dS K_j / √d
                }
                outerAccumulate(ds, qr, scale, dkt, sp, dh, j0, width);                           // dK_j += dSᵀ Q_i / √d
                outerAccumulate(p, dor, 1f, dvt, sp, dh, j0, width);                              // dV_j += Pᵀ dO_i
            }
        }
        VectorRows.untranspose(dkt, g * sh.s * sh.dh, sh.s, sh.dh, sh.sPadded, dk);
        VectorRows.untranspose(dvt, g * sh.s * sh.dh, sh.s, sh.dh, sh.sPadded, dv);
    }

    private static final float[] ONES = {1f, 1f, 1f, 1f};

    /** In p (scores on entry): P = exp(S − L) per row; in ds: dS = P ⊙ (dP − D) with dP_j = Σ_c dO_c Vᵀ[c, j]. */
    private void probabilitiesAndDs(float[] p, float[] ds, float[] vt, float[] dor, float[] lr, float[] dr, int sp, int dh,
                                    int j0, int width) {
        int dh2 = 2 * dh, dh3 = 3 * dh, kb2 = 2 * keyBlock, kb3 = 3 * keyBlock;
        for (int jj = 0; jj < width; jj += L) {
            FloatVector d0 = FloatVector.zero(F), d1 = d0, d2 = d0, d3 = d0;
            for (int c = 0; c < dh; c++) {
                FloatVector value = FloatVector.fromArray(F, vt, c * sp + j0 + jj);
                d0 = value.fma(FloatVector.broadcast(F, dor[c]), d0);
                d1 = value.fma(FloatVector.broadcast(F, dor[dh + c]), d1);
                d2 = value.fma(FloatVector.broadcast(F, dor[dh2 + c]), d2);
                d3 = value.fma(FloatVector.broadcast(F, dor[dh3 + c]), d3);
            }
            VectorRows.probabilityAndDs(p, ds, jj, lr[0], dr[0], d0);
            VectorRows.probabilityAndDs(p, ds, keyBlock + jj, lr[1], dr[1], d1);
            VectorRows.probabilityAndDs(p, ds, kb2 + jj, lr[2], dr[2], d2);
            VectorRows.probabilityAndDs(p, ds, kb3 + jj, lr[3], dr[3], d3);
        }
    }

    /** xt[c, j0 + j] += factor · Σ_r w[r, j] rows[r, c] for the four rows (an outer product added to a transposed block). */
    private void outerAccumulate(float[] w, float[] rows, float factor, float[] xt, int sp, int dh, int j0, int width) {
        for (int c = 0; c < dh; c++) {
            FloatVector f0 = FloatVector.broadcast(F, rows[c] * factor), f1 = FloatVector.broadcast(F, rows[dh + c] * factor);
            FloatVector f2 = FloatVector.broadcast(F, rows[2 * dh + c] * factor), f3 = FloatVector.broadcast(F, rows[3 * dh + c] * factor);
            int base = c * sp + j0;
            for (int jj = 0; jj < width; jj += L) {
                FloatVector acc = FloatVector.fromArray(F, xt, base + jj);
                acc = FloatVector.fromArray(F, w, jj).fma(f0, acc);
                acc = FloatVector.fromArray(F, w, keyBlock + jj).fma(f1, acc);
                acc = FloatVector.fromArray(F, w, 2 * keyBlock + jj).fma(f2, acc);
                acc = FloatVector.fromArray(F, w, 3 * keyBlock + jj).fma(f3, acc);
                acc.intoArray(xt, base + jj);
            }
        }
    }

    // ---------------------------------------------------------------- layout

    /** Keys [0, end) seen by query row i (and all rows before it): all S, or (causal) up to i's own position. */
    private int keyEnd(int i, Shape sh) {
        return causal ? (int) Math.max(0, Math.min(sh.s, i + sh.offset + 1)) : sh.s;
    }

    /** Rows [i0, i0 + rows) of head g of a (B·H, T, Dh) array into into[0..ROWS·Dh); rows past them are zeros. */
    private static void gatherRows(float[] x, int g, Shape sh, int i0, int rows, float[] into) {
        System.arraycopy(x, (g * sh.t + i0) * sh.dh, into, 0, rows * sh.dh);
        java.util.Arrays.fill(into, rows * sh.dh, ROWS * sh.dh, 0f);
    }

    /** Head g of a (B·H, S, Dh) array as (Dh, S'), zeros past S. */
    private float[] transposed(float[] x, int g, Shape sh) {
        float[] t = array((long) sh.dh * sh.sPadded);
        VectorRows.transpose(x, g * sh.s * sh.dh, sh.s, sh.dh, sh.sPadded, t);
        return t;
    }

    /** The padding bias of each batch's keys (B, S) as floats, or null without padding. */
    private float[] keyBias(INDArray padBias, Shape sh) {
        return padBias == null ? null : floats(padBias);
    }

    /** Head g's additive key bias over S': its batch's padding bias (or 0), −∞ past S. */
    private float[] biasRow(float[] bias, int g, Shape sh) {
        float[] row = new float[sh.sPadded];
        if (bias != null) System.arraycopy(bias, (g / sh.h) * sh.s, row, 0, sh.s);
        java.util.Arrays.fill(row, sh.s, sh.sPadded, Float.NEGATIVE_INFINITY);
        return row;
    }

    /** Runs body for every (batch, head) pair, over the cores when {@link #PARALLEL_PROPERTY} allows and it pays. */
    private void eachHead(Shape sh, java.util.function.IntConsumer body) {
        if (parallel && sh.bh > 1 && (long) sh.t * sh.s >= 1 << 16) IntStream.range(0, sh.bh).parallel().forEach(body);
        else for (int g = 0; g < sh.bh; g++) body.accept(g);
    }

    private float[] floats(INDArray x) {
        INDArray c = !x.isView() && x.ordering() == 'c' && x.offset() == 0 && x.data().length() == x.length() ? x : x.dup('c');
        largestJavaArray = Math.max(largestJavaArray, c.length());
        return c.data().asFloat();
    }

    private float[] array(long n) {
        synchronized (this) {
            largestJavaArray = Math.max(largestJavaArray, n);
        }
        return new float[Math.toIntExact(n)];
    }

    private INDArray result(float[] data, long... shape) {
        return nd.constant(FloatArrays.of(data, shape));
    }
}
