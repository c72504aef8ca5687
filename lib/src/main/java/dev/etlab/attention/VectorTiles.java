package dev.etlab.attention;

import dev.etlab.tensor.FloatArrays;
import dev.etlab.tensor.Ops;
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
 * product runs along the keys for any head size ({@link VectorRows#products}): scores s_j = Σ_c q_c Kᵀ[c, j] (a
 * broadcast query element times a key vector), four query rows against two key vectors at a time, which gives eight
 * independent FMA chains. P·V adds whole V rows when a head is one or two vectors (Dh = 16 with AVX-512 or AVX2), dot
 * products along the keys otherwise. The masks, the row maximum and exp are separate passes over a row of the block,
 * so that no vector crosses a call the JIT might not inline (a vector that does is boxed: a 20% slower backward was
 * measured when one did). Keys past S get −∞ (they weigh exactly 0); masks are added in {@link FusedTiles}' order
 * (S/√d + causal −10⁹ + padding bias), in float, and exp is {@link dev.etlab.tensor.VectorMath#exp} (the same bits in
 * every JIT tier, unlike the API's own EXP).
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
    private static final int ROWS = VectorRows.ROWS;
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
        float[] kt = transposed(k, g, sh), vt = VectorRows.rowVectors(dh) ? null : transposed(v, g, sh), keyBias = biasRow(bias, g, sh);
        float[] qs = new float[ROWS * dh], scores = new float[ROWS * keyBlock], o = new float[ROWS * dh];
        float[] m = new float[ROWS], l = new float[ROWS], corr = new float[ROWS];
        float toLog2 = scale * VectorRows.LOG2E;
        for (int i0 = 0; i0 < sh.t; i0 += ROWS) {
            int rows = Math.min(ROWS, sh.t - i0);
            gatherRows(q, g, sh, i0, rows, toLog2, qs);                                          // Q log₂e/√d
            java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(l, 0f);
            java.util.Arrays.fill(o, 0f);
            int end = keyEnd(i0 + rows - 1, sh);
            for (int j0 = 0; j0 < end; j0 += keyBlock) {
                int width = VectorRows.roundUp(Math.min(end, j0 + keyBlock) - j0);
                VectorRows.products(qs, dh, kt, sp, j0, width, scores, keyBlock);                 // S = Q Kᵀ/√d, in log₂ units
                for (int r = 0; r < ROWS; r++) {
                    float rowMax = maskRow(scores, r * keyBlock, width, i0 + r, j0, sh, keyBias, bias != null);   // + masks
                    float mNew = Math.max(m[r], rowMax);                                         // m' = max(m, rowmax S)
                    float sum = VectorRows.exp2InPlace(scores, r * keyBlock, width, mNew);       // P = exp(S − m')
                    corr[r] = (float) Math.pow(2, m[r] - mNew);                                  // e^(m − m')
                    l[r] = l[r] * corr[r] + sum;                                                 // ℓ ← ℓ·e^(m − m') + rowsum P
                    m[r] = mNew;
                }
                VectorRows.scaleRows(o, dh, corr);                                               // O ← O·e^(m − m') + P V_j
                if (vt == null) VectorRows.accumulateRowVectors(scores, keyBlock, v, g * sh.s * dh, dh, j0, Math.min(sh.s, j0 + width), o);
                else VectorRows.accumulateDots(scores, keyBlock, vt, sp, dh, j0, width, o);
            }
            for (int r = 0; r < rows; r++) {
                int at = g * sh.t + i0 + r;
                for (int c = 0; c < dh; c++) out[at * dh + c] = o[r * dh + c] / l[r];
                lse[at] = VectorRows.naturalLse(m[r], l[r]);                                     // L = m + log ℓ
            }
        }
    }

    /**
     * Row i's scores at scores[from..from + width) (keys j0..) ← + the causal mask + the key's bias (padding, −∞ past
     * S), in {@link FusedTiles}' order; returns their maximum. A block that needs no mask (no padding, every key before
     * S and, causal, not after i) is only read. Rows past T (zeros in the query block) are masked too and never used.
     */
    private float maskRow(float[] scores, int from, int width, int i, int j0, Shape sh, float[] keyBias, boolean padded) {
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        boolean plain = !padded && j0 + width <= sh.s && (!causal || j0 + width - 1 <= i + sh.offset);
        if (plain) {
            for (int jj = 0; jj < width; jj += L) max = max.max(FloatVector.fromArray(F, scores, from + jj));
        } else {
            for (int jj = 0; jj < width; jj += L) {
                FloatVector x = masked(FloatVector.fromArray(F, scores, from + jj), i, j0 + jj, sh.offset, FloatVector.fromArray(F, keyBias, j0 + jj));
                x.intoArray(scores, from + jj);
                max = max.max(x);
            }
        }
        return max.reduceLanes(VectorOperators.MAX);
    }

    /** x + −10⁹ where key j + lane is in query i's future (causal), + the key's bias (padding, or −∞ past S). */
    private FloatVector masked(FloatVector x, int i, int j, long offset, FloatVector keyBias) {
        if (causal && j + L - 1 > i + offset) {
            VectorMask<Float> seen = F.indexInRange(j, (int) Math.min(Integer.MAX_VALUE, Math.max(0, i + offset + 1)));
            x = x.add(FloatVector.broadcast(F, NEG), seen.not());
        }
        return x.add(keyBias);
    }

    // ---------------------------------------------------------------- backward

    /** Algorithm 2 for one (batch, head) pair g: its rows of dQ, dK and dV. */
    private void backwardHead(int g, Shape sh, float[] q, float[] k, float[] v, float[] dO, float[] lRow, float[] dRow,
                              float[] bias, float scale, float[] dq, float[] dk, float[] dv) {
        int dh = sh.dh, sp = sh.sPadded;
        boolean rowVectors = VectorRows.rowVectors(dh);
        float[] kt = transposed(k, g, sh), vt = transposed(v, g, sh), keyBias = biasRow(bias, g, sh);
        float[] dkt = new float[dh * sp], dvt = new float[dh * sp];
        float[] qr = new float[ROWS * dh], qs = new float[ROWS * dh], dor = new float[ROWS * dh];
        float[] p = new float[ROWS * keyBlock], ds = new float[ROWS * keyBlock], dqr = new float[ROWS * dh];
        float toLog2 = scale * VectorRows.LOG2E;
        for (int j0 = 0; j0 < sh.s; j0 += keyBlock) {
            int width = VectorRows.roundUp(Math.min(sh.s, j0 + keyBlock) - j0), jEnd = Math.min(sh.s, j0 + width);
            int first = causal ? (int) Math.max(0, Math.min(sh.t, j0 - sh.offset)) / ROWS * ROWS : 0;   // rows that see a key here
            for (int i0 = first; i0 < sh.t; i0 += ROWS) {
                int rows = Math.min(ROWS, sh.t - i0);
                gatherRows(q, g, sh, i0, rows, 1f, qr);
                gatherRows(q, g, sh, i0, rows, toLog2, qs);
                gatherRows(dO, g, sh, i0, rows, 1f, dor);
                VectorRows.products(qs, dh, kt, sp, j0, width, p, keyBlock);                      // S = Q Kᵀ/√d, in log₂ units
                VectorRows.products(dor, dh, vt, sp, j0, width, ds, keyBlock);                    // dP = dO Vᵀ
                for (int r = 0; r < ROWS; r++) {
                    boolean real = r < rows;                                                     // padding rows: dO = 0, so dS = 0
                    maskRow(p, r * keyBlock, width, i0 + r, j0, sh, keyBias, bias != null);                 // + masks
                    VectorRows.probabilitiesAndDs(p, ds, r * keyBlock, width, real ? lRow[g * sh.t + i0 + r] * VectorRows.LOG2E : 0f,
                        real ? dRow[g * sh.t + i0 + r] : 0f);                                    // P = exp(S − L), dS = P ⊙ (dP − D)
                }
                java.util.Arrays.fill(dqr, 0f);
                if (rowVectors) VectorRows.accumulateRowVectors(ds, keyBlock, k, g * sh.s * dh, dh, j0, jEnd, dqr);
                else VectorRows.accumulateDots(ds, keyBlock, kt, sp, dh, j0, width, dqr);         // dS K_j
                for (int r = 0; r < rows; r++) {
                    int at = (g * sh.t + i0 + r) * dh;
                    for (int c = 0; c < dh; c++) dq[at + c] += dqr[r * dh + c] * scale;         // dQ_i += dS K_j / √d
                }
                VectorRows.outerAccumulate(ds, keyBlock, qr, scale, dkt, sp, dh, j0, width);     // dK_j += dSᵀ Q_i / √d
                VectorRows.outerAccumulate(p, keyBlock, dor, 1f, dvt, sp, dh, j0, width);        // dV_j += Pᵀ dO_i
            }
        }
        VectorRows.untranspose(dkt, g * sh.s * sh.dh, sh.s, sh.dh, sh.sPadded, dk);
        VectorRows.untranspose(dvt, g * sh.s * sh.dh, sh.s, sh.dh, sh.sPadded, dv);
    }

    // ---------------------------------------------------------------- layout

    /** Keys [0, end) seen by query row i (and all rows before it): all S, or (causal) up to i's own position. */
    private int keyEnd(int i, Shape sh) {
        return causal ? (int) Math.max(0, Math.min(sh.s, i + sh.offset + 1)) : sh.s;
    }

    /** Rows [i0, i0 + rows) of head g of a (B·H, T, Dh) array, times factor, into into[0..ROWS·Dh); zeros past them. */
    private static void gatherRows(float[] x, int g, Shape sh, int i0, int rows, float factor, float[] into) {
        int from = (g * sh.t + i0) * sh.dh, n = rows * sh.dh;
        for (int e = 0; e < n; e++) into[e] = x[from + e] * factor;
        java.util.Arrays.fill(into, n, ROWS * sh.dh, 0f);
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

    /**
     * Runs body for every (batch, head) pair, over the cores when {@link #PARALLEL_PROPERTY} allows and it pays: when
     * all the pairs together score at least 2¹⁷ query-key pairs (about a millisecond of work), however that is split
     * between pairs and length. (A threshold on T·S alone kept a training batch of 64 short heads, T = 128, on one core.)
     */
    private void eachHead(Shape sh, java.util.function.IntConsumer body) {
        if (parallel && sh.bh > 1 && (long) sh.bh * sh.t * sh.s >= 1 << 17) IntStream.range(0, sh.bh).parallel().forEach(body);
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
