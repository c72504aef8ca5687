package dev.etlab.attention;

import dev.etlab.tensor.FloatArrays;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.VectorMath;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link Longformer}'s sliding window (dilation 1, no global token) on float32 with the JDK's Vector API (incubating
 * in Java 17, so chosen only when {@link dev.etlab.Simd#enabled()}): banded exact attention, query i seeing the keys
 * j with |i − j| ≤ w (causal: i − w ≤ j ≤ i), Beltagy et al. 2020, Section 3.1, Fig. 2b; the FlashAttention
 * forward and recomputing backward (Dao et al. 2022, Algorithms 1 and 2, D = rowsum(dO ⊙ O) as in FlashAttention-2)
 * restricted to the band, so each block of four query rows meets one block of at most 2w + 4 keys.
 *
 * <p>Layout as in {@link VectorTiles}: K and V transposed per head into (Dh, S') arrays (S' = T rounded up to whole
 * vectors, plus one vector), products along the keys one vector at a time, four query rows sharing each key vector
 * (four independent FMA chains), exp by {@link dev.etlab.tensor.VectorMath#exp}; with a head of exactly one vector (Dh = lanes)
 * P·V and dS·K add whole key rows instead (no reductions). The (B, H, T, Dh) inputs are copied into Java arrays; the
 * results come back through {@code nd}.
 *
 * <p>Masks, to agree with the chunked path of {@link Longformer} to float rounding: the queries are scaled by 1/√Dh
 * before the product (as there); keys outside the band or the sequence get −∞ (the chunked path gives them
 * −10⁹, which weighs exactly 0 as well); a padding key adds (padding − 1)·10⁹ ({@link Masks#paddingBias}), except to
 * its own query's score ({@link Longformer#notSelf}), so every row sees at least its own key.
 *
 * <p>Its plain twin is Longformer's chunked path, which also runs float64, dilation &gt; 1 and global tokens.
 */
final class VectorWindow {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Query rows computed together. */
    private static final int ROWS = 4;
    private static final float NEG = (float) Masks.NEG;

    /** Forward calls made so far, by every instance (lets a test see that a layer took this path). */
    static final AtomicLong FORWARD_CALLS = new AtomicLong();

    private final Ops<INDArray> nd;
    private final int window;
    private final boolean causal, parallel;
    /** Elements of the largest Java array this kernel has made (for the memory test). */
    long largestJavaArray;

    /**
     * @param nd     makes the result arrays (a spy in tests)
     * @param window w ≥ 1 keys on each side of the query
     * @param causal keys after the query are not seen
     */
    VectorWindow(Ops<INDArray> nd, int window, boolean causal) {
        dev.etlab.Check.arg(window >= 1, "window", window, "at least 1 key on each side of the query");
        this.nd = nd;
        this.window = window;
        this.causal = causal;
        // the switch shared by the vector kernels (a compile-time constant: VectorTiles is not loaded by reading it)
        this.parallel = Boolean.parseBoolean(System.getProperty(VectorTiles.PARALLEL_PROPERTY, "true"));
    }

    /**
     * @param q, k, v     (B, H, T, Dh) float32
     * @param keyPadding  (B, T) 1 for tokens, 0 for padding; or null
     * @param scale       1/√Dh
     * @return {O (B, H, T, Dh), L = log-sum-exp of each row's scores (B, H, T, 1)}
     */
    INDArray[] forward(INDArray q, INDArray k, INDArray v, INDArray keyPadding, double scale) {
        FORWARD_CALLS.incrementAndGet();
        Shape sh = new Shape(q, window, causal);
        float[] qa = floats(q), ka = floats(k), va = floats(v), bias = keyBias(keyPadding, sh);
        float[] out = array((long) sh.bh * sh.t * sh.dh), lse = array((long) sh.bh * sh.t);
        eachHead(sh, g -> forwardHead(g, sh, qa, ka, va, bias, (float) scale, out, lse));
        return new INDArray[] {result(out, sh.b, sh.h, sh.t, sh.dh), result(lse, sh.b, sh.h, sh.t, 1)};
    }

    /** @return {dQ, dK, dV}, each (B, H, T, Dh) */
    INDArray[] backward(INDArray q, INDArray k, INDArray v, INDArray keyPadding, double scale, INDArray out, INDArray lse,
                        INDArray dOut) {
        Shape sh = new Shape(q, window, causal);
        float[] qa = floats(q), ka = floats(k), va = floats(v), dO = floats(dOut), lRow = floats(lse);
        float[] dRow = VectorRows.rowDots(dO, floats(out), sh.bh * sh.t, sh.dh);       // D = rowsum(dO ⊙ O)
        float[] bias = keyBias(keyPadding, sh);
        float[] dq = array((long) sh.bh * sh.t * sh.dh), dk = array((long) sh.bh * sh.t * sh.dh), dv = array((long) sh.bh * sh.t * sh.dh);
        eachHead(sh, g -> backwardHead(g, sh, qa, ka, va, dO, lRow, dRow, bias, (float) scale, dq, dk, dv));
        return new INDArray[] {result(dq, sh.b, sh.h, sh.t, sh.dh), result(dk, sh.b, sh.h, sh.t, sh.dh), result(dv, sh.b, sh.h, sh.t, sh.dh)};
    }

    /**
     * Sizes of a call: (B, H, T, Dh); S' = T rounded up to whole vectors plus one vector (a key block starting
     * anywhere reads whole vectors); stride = the widest key block of four rows, whole vectors.
     */
    private record Shape(int b, int h, int t, int dh, int bh, int sPadded, int stride) {
        Shape(INDArray q, int w, boolean causal) {
            this((int) q.size(0), (int) q.size(1), (int) q.size(2), (int) q.size(3), w, causal);
        }

        Shape(int b, int h, int t, int dh, int w, boolean causal) {
            this(b, h, t, dh, b * h, VectorRows.roundUp(t) + L, VectorRows.roundUp((int) Math.min(t, (causal ? w : 2L * w) + ROWS)));
        }
    }

    // ---------------------------------------------------------------- forward

    /** Algorithm 1 on the band for one (batch, head) pair g: O and L of its T rows, four at a time. */
    private void forwardHead(int g, Shape sh, float[] q, float[] k, float[] v, float[] bias, float scale, float[] out, float[] lse) {
        int dh = sh.dh, kb = sh.stride;
        float[] kt = transposed(k, g, sh), vt = transposed(v, g, sh), keyBias = biasRow(bias, g, sh);
        float[] qr = new float[ROWS * dh], scores = new float[ROWS * kb], o = new float[ROWS * dh];
        float[] m = new float[ROWS], l = new float[ROWS];
        for (int i0 = 0; i0 < sh.t; i0 += ROWS) {
            int rows = Math.min(ROWS, sh.t - i0), j0 = firstKey(i0), end = endKey(i0 + rows - 1, sh.t), width = VectorRows.roundUp(end - j0);
            gatherRows(q, g, sh, i0, rows, scale, qr);                                          // Q/√d, as the chunked path scales
            scoreBlock(qr, kt, keyBias, sh, i0, j0, width, scores);                              // S + masks
            for (int r = 0; r < ROWS; r++) {
                float max = VectorRows.rowMax(scores, r * kb, width);
                m[r] = max == Float.NEGATIVE_INFINITY ? 0f : max;                               // a row past T may see no key
                l[r] = VectorRows.expInPlace(scores, r * kb, width, m[r]);                                  // P = exp(S − m), ℓ = rowsum P
            }
            Arrays.fill(o, 0f);
            if (dh == L) accumulateRows(scores, v, g * sh.t * dh, kb, j0, end, o);               // P V
            else accumulatePv(scores, vt, sh, j0, width, o);
            for (int r = 0; r < rows; r++) {
                int at = g * sh.t + i0 + r;
                for (int c = 0; c < dh; c++) out[at * dh + c] = o[r * dh + c] / l[r];           // O = P V / ℓ
                lse[at] = m[r] + (float) Math.log(l[r]);                                         // L = m + log ℓ
            }
        }
    }

    /** First key any of the rows i0.. sees. */
    private int firstKey(int i0) {
        return Math.max(0, i0 - window);
    }

    /** One past the last key row i sees (also the end for the rows before it). */
    private int endKey(int i, int t) {
        return (int) Math.min(t, (long) i + (causal ? 0 : window) + 1);
    }

    /**
     * Masked scores of the four rows in qr (already scaled) against keys [j0, j0 + width): scores[r·stride + j − j0].
     * Rows past T are zeros in qr.
     */
    private void scoreBlock(float[] qr, float[] kt, float[] keyBias, Shape sh, int i0, int j0, int width, float[] scores) {
        int dh = sh.dh, sp = sh.sPadded, kb = sh.stride;
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
            masked(s0, i0, j, keyBias, sh.t).intoArray(scores, jj);
            masked(s1, i0 + 1, j, keyBias, sh.t).intoArray(scores, kb + jj);
            masked(s2, i0 + 2, j, keyBias, sh.t).intoArray(scores, 2 * kb + jj);
            masked(s3, i0 + 3, j, keyBias, sh.t).intoArray(scores, 3 * kb + jj);
        }
    }

    /**
     * Row i's scores against keys j..j + L: + the padding bias of each key but i's own ({@link Longformer#notSelf}),
     * −∞ outside i's band [i − w, i + w] (causal [i − w, i]) or past T.
     */
    private FloatVector masked(FloatVector s, int i, int j, float[] keyBias, int t) {
        if (keyBias != null) {
            FloatVector b = FloatVector.fromArray(F, keyBias, j);
            if (i < t && keyBias[i] != 0f && i >= j && i < j + L) b = b.blend(0f, F.indexInRange(j - i, 1)); // lane i: 0
            s = s.add(b);
        }
        int lo = firstKey(i), hi = endKey(i, t);
        if (j < lo || j + L > hi) s = s.blend(Float.NEGATIVE_INFINITY, F.indexInRange(j - lo, hi - lo).not());
        return s;
    }

    /** o[r, c] += Σ_j p[r, j] Xᵀ[c, j0 + j] for the four rows (X = V, or K in the backward). */
    private static void accumulatePv(float[] p, float[] xt, Shape sh, int j0, int width, float[] o) {
        int dh = sh.dh, kb = sh.stride;
        for (int c = 0; c < dh; c++) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int base = c * sh.sPadded + j0;
            for (int jj = 0; jj < width; jj += L) {
                FloatVector x = FloatVector.fromArray(F, xt, base + jj);
                a0 = x.fma(FloatVector.fromArray(F, p, jj), a0);
                a1 = x.fma(FloatVector.fromArray(F, p, kb + jj), a1);
                a2 = x.fma(FloatVector.fromArray(F, p, 2 * kb + jj), a2);
                a3 = x.fma(FloatVector.fromArray(F, p, 3 * kb + jj), a3);
            }
            o[c] += a0.reduceLanes(VectorOperators.ADD);
            o[dh + c] += a1.reduceLanes(VectorOperators.ADD);
            o[2 * dh + c] += a2.reduceLanes(VectorOperators.ADD);
            o[3 * dh + c] += a3.reduceLanes(VectorOperators.ADD);
        }
    }

    /**
     * {@link #accumulatePv} when a head is exactly one vector (Dh = lanes, 16 with AVX-512), as in
     * VectorTiles.accumulateRows: each key's row of X (row-major, head from {@code base}) times the four rows' weights,
     * added into four vector accumulators; no reductions. Keys [j0, end) only: the lanes after them weigh 0.
     */
    private static void accumulateRows(float[] p, float[] x, int base, int stride, int j0, int end, float[] o) {
        FloatVector a0 = FloatVector.fromArray(F, o, 0), a1 = FloatVector.fromArray(F, o, L);
        FloatVector a2 = FloatVector.fromArray(F, o, 2 * L), a3 = FloatVector.fromArray(F, o, 3 * L);
        for (int j = j0; j < end; j++) {
            int jj = j - j0;
            FloatVector row = FloatVector.fromArray(F, x, base + j * L);
            a0 = row.fma(FloatVector.broadcast(F, p[jj]), a0);
            a1 = row.fma(FloatVector.broadcast(F, p[stride + jj]), a1);
            a2 = row.fma(FloatVector.broadcast(F, p[2 * stride + jj]), a2);
            a3 = row.fma(FloatVector.broadcast(F, p[3 * stride + jj]), a3);
        }
        a0.intoArray(o, 0);
        a1.intoArray(o, L);
        a2.intoArray(o, 2 * L);
        a3.intoArray(o, 3 * L);
    }

    // ---------------------------------------------------------------- backward

    /** Algorithm 2 on the band for one (batch, head) pair g, by blocks of four query rows: its rows of dQ, dK and dV. */
    private void backwardHead(int g, Shape sh, float[] q, float[] k, float[] v, float[] dO, float[] lRow, float[] dRow,
                              float[] bias, float scale, float[] dq, float[] dk, float[] dv) {
        int dh = sh.dh, kb = sh.stride;
        float[] kt = transposed(k, g, sh), vt = transposed(v, g, sh), keyBias = biasRow(bias, g, sh);
        float[] dkt = array((long) dh * sh.sPadded), dvt = array((long) dh * sh.sPadded);
        float[] qr = new float[ROWS * dh], dor = new float[ROWS * dh], lr = new float[ROWS], dr = new float[ROWS];
        float[] p = new float[ROWS * kb], ds = new float[ROWS * kb], dqr = new float[ROWS * dh];
        for (int i0 = 0; i0 < sh.t; i0 += ROWS) {
            int rows = Math.min(ROWS, sh.t - i0), j0 = firstKey(i0), end = endKey(i0 + rows - 1, sh.t), width = VectorRows.roundUp(end - j0);
            gatherRows(q, g, sh, i0, rows, scale, qr);
            gatherRows(dO, g, sh, i0, rows, 1f, dor);
            for (int r = 0; r < ROWS; r++) {
                lr[r] = r < rows ? lRow[g * sh.t + i0 + r] : 0f;                                // rows past T: dO = 0, D = 0, dS = 0
                dr[r] = r < rows ? dRow[g * sh.t + i0 + r] : 0f;
            }
            scoreBlock(qr, kt, keyBias, sh, i0, j0, width, p);                                   // S + masks, as in the forward
            probabilitiesAndDs(p, ds, vt, dor, lr, dr, sh, j0, width);                           // P = exp(S − L), dS
            Arrays.fill(dqr, 0f);
            if (dh == L) accumulateRows(ds, k, g * sh.t * dh, kb, j0, end, dqr);                 // dS K
            else accumulatePv(ds, kt, sh, j0, width, dqr);
            for (int e = 0, at = (g * sh.t + i0) * dh; e < rows * dh; e++) dq[at + e] = dqr[e] * scale; // dQ_i = dS K / √d
            outerAccumulate(ds, qr, dkt, sh, j0, width);                                         // dK += dSᵀ (Q_i/√d)
            outerAccumulate(p, dor, dvt, sh, j0, width);                                         // dV += Pᵀ dO_i
        }
        VectorRows.untranspose(dkt, g * sh.t * sh.dh, sh.t, sh.dh, sh.sPadded, dk);
        VectorRows.untranspose(dvt, g * sh.t * sh.dh, sh.t, sh.dh, sh.sPadded, dv);
    }

    /** In p (scores on entry): P = exp(S − L) per row; in ds: dS = P ⊙ (dP − D) with dP_j = Σ_c dO_c Vᵀ[c, j]. */
    private static void probabilitiesAndDs(float[] p, float[] ds, float[] vt, float[] dor, float[] lr, float[] dr, Shape sh,
                                           int j0, int width) {
        int dh = sh.dh, kb = sh.stride;
        for (int jj = 0; jj < width; jj += L) {
            FloatVector d0 = FloatVector.zero(F), d1 = d0, d2 = d0, d3 = d0;
            for (int c = 0; c < dh; c++) {
                FloatVector value = FloatVector.fromArray(F, vt, c * sh.sPadded + j0 + jj);
                d0 = value.fma(FloatVector.broadcast(F, dor[c]), d0);
                d1 = value.fma(FloatVector.broadcast(F, dor[dh + c]), d1);
                d2 = value.fma(FloatVector.broadcast(F, dor[2 * dh + c]), d2);
                d3 = value.fma(FloatVector.broadcast(F, dor[3 * dh + c]), d3);
            }
            VectorRows.probabilityAndDs(p, ds, jj, lr[0], dr[0], d0);
            VectorRows.probabilityAndDs(p, ds, kb + jj, lr[1], dr[1], d1);
            VectorRows.probabilityAndDs(p, ds, 2 * kb + jj, lr[2], dr[2], d2);
            VectorRows.probabilityAndDs(p, ds, 3 * kb + jj, lr[3], dr[3], d3);
        }
    }

    /** xt[c, j0 + j] += Σ_r w[r, j] rows[r, c] for the four rows (an outer product added to a transposed block). */
    private static void outerAccumulate(float[] w, float[] rows, float[] xt, Shape sh, int j0, int width) {
        int dh = sh.dh, kb = sh.stride;
        for (int c = 0; c < dh; c++) {
            FloatVector f0 = FloatVector.broadcast(F, rows[c]), f1 = FloatVector.broadcast(F, rows[dh + c]);
            FloatVector f2 = FloatVector.broadcast(F, rows[2 * dh + c]), f3 = FloatVector.broadcast(F, rows[3 * dh + c]);
            int base = c * sh.sPadded + j0;
            for (int jj = 0; jj < width; jj += L) {
                FloatVector acc = FloatVector.fromArray(F, xt, base + jj);
                acc = FloatVector.fromArray(F, w, jj).fma(f0, acc);
                acc = FloatVector.fromArray(F, w, kb + jj).fma(f1, acc);
                acc = FloatVector.fromArray(F, w, 2 * kb + jj).fma(f2, acc);
                acc = FloatVector.fromArray(F, w, 3 * kb + jj).fma(f3, acc);
                acc.intoArray(xt, base + jj);
            }
        }
    }

    // ---------------------------------------------------------------- layout

    /** Rows [i0, i0 + rows) of head g of a (B·H, T, Dh) array, times factor, into into[0..ROWS·Dh); zeros past them. */
    private static void gatherRows(float[] x, int g, Shape sh, int i0, int rows, float factor, float[] into) {
        int from = (g * sh.t + i0) * sh.dh, n = rows * sh.dh;
        for (int e = 0; e < n; e++) into[e] = x[from + e] * factor;
        Arrays.fill(into, n, ROWS * sh.dh, 0f);
    }

    /** Head g of a (B·H, T, Dh) array as (Dh, S'), zeros past T. */
    private float[] transposed(float[] x, int g, Shape sh) {
        float[] t = array((long) sh.dh * sh.sPadded);
        VectorRows.transpose(x, g * sh.t * sh.dh, sh.t, sh.dh, sh.sPadded, t);
        return t;
    }

    /** (B, T) key padding → (B, T) additive bias (padding − 1)·10⁹ as in {@link Masks#paddingBias}; null without padding. */
    private float[] keyBias(INDArray keyPadding, Shape sh) {
        if (keyPadding == null) return null;
        float[] pad = floats(keyPadding.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT));
        float[] bias = new float[pad.length];
        for (int e = 0; e < pad.length; e++) bias[e] = (pad[e] - 1f) * -NEG;
        return bias;
    }

    /** Head g's key bias over S' (its batch's padding bias, 0 past T), or null without padding. */
    private static float[] biasRow(float[] bias, int g, Shape sh) {
        if (bias == null) return null;
        float[] row = new float[sh.sPadded];
        System.arraycopy(bias, (g / sh.h) * sh.t, row, 0, sh.t);
        return row;
    }

    /** Runs body for every (batch, head) pair, over the cores when {@link VectorTiles#PARALLEL_PROPERTY} allows and it pays. */
    private void eachHead(Shape sh, java.util.function.IntConsumer body) {
        if (parallel && sh.bh > 1 && (long) sh.t * sh.stride >= 1 << 14) IntStream.range(0, sh.bh).parallel().forEach(body);
        else for (int g = 0; g < sh.bh; g++) body.accept(g);
    }

    private float[] floats(INDArray x) {
        INDArray c = !x.isView() && x.ordering() == 'c' && x.offset() == 0 && x.data().length() == x.length() ? x : x.dup('c');
        synchronized (this) {
            largestJavaArray = Math.max(largestJavaArray, c.length());
        }
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
