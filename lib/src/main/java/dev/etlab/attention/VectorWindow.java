package dev.etlab.attention;

import dev.etlab.tensor.FloatArrays;
import dev.etlab.tensor.Ops;
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
 * vectors, plus one vector), the shared loops of {@link VectorRows}: products along the keys, four query rows against
 * two key vectors at a time, exp by {@link dev.etlab.tensor.VectorMath#exp}; with a head of one or two whole vectors
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
    private static final int ROWS = VectorRows.ROWS;
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
        float[] kt = transposed(k, g, sh), vt = VectorRows.rowVectors(dh) ? null : transposed(v, g, sh), keyBias = biasRow(bias, g, sh);
        float[] qr = new float[ROWS * dh], qs = new float[ROWS * dh], scores = new float[ROWS * kb], o = new float[ROWS * dh];
        float[] m = new float[ROWS], l = new float[ROWS];
        for (int i0 = 0; i0 < sh.t; i0 += ROWS) {
            int rows = Math.min(ROWS, sh.t - i0), j0 = firstKey(i0), end = endKey(i0 + rows - 1, sh.t), width = VectorRows.roundUp(end - j0);
            gatherRows(q, g, sh, i0, rows, scale, qr);                                          // Q/√d, as the chunked path scales
            toLog2(qr, qs);
            VectorRows.products(qs, dh, kt, sh.sPadded, j0, width, scores, kb);                 // S = (Q/√d) Kᵀ, in log₂ units
            for (int r = 0; r < ROWS; r++) {
                float max = maskRow(scores, r * kb, width, i0 + r, j0, keyBias, sh.t);          // S + masks
                m[r] = max == Float.NEGATIVE_INFINITY ? 0f : max;                               // a row past T may see no key
                l[r] = VectorRows.exp2InPlace(scores, r * kb, width, m[r]);                     // P = exp(S − m), ℓ = rowsum P
            }
            Arrays.fill(o, 0f);
            if (vt == null) VectorRows.accumulateRowVectors(scores, kb, v, g * sh.t * dh, dh, j0, end, o);   // P V
            else VectorRows.accumulateDots(scores, kb, vt, sh.sPadded, dh, j0, width, o);
            for (int r = 0; r < rows; r++) {
                int at = g * sh.t + i0 + r;
                for (int c = 0; c < dh; c++) out[at * dh + c] = o[r * dh + c] / l[r];           // O = P V / ℓ
                lse[at] = VectorRows.naturalLse(m[r], l[r]);                                     // L = m + log ℓ
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

    /** Row i's scores at scores[from..from + width) (keys j0..) ← + its masks ({@link #masked}); returns their maximum. */
    private float maskRow(float[] scores, int from, int width, int i, int j0, float[] keyBias, int t) {
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int jj = 0; jj < width; jj += L) {
            FloatVector x = masked(FloatVector.fromArray(F, scores, from + jj), i, j0 + jj, keyBias, t);
            x.intoArray(scores, from + jj);
            max = max.max(x);
        }
        return max.reduceLanes(VectorOperators.MAX);
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

    // ---------------------------------------------------------------- backward

    /** Algorithm 2 on the band for one (batch, head) pair g, by blocks of four query rows: its rows of dQ, dK and dV. */
    private void backwardHead(int g, Shape sh, float[] q, float[] k, float[] v, float[] dO, float[] lRow, float[] dRow,
                              float[] bias, float scale, float[] dq, float[] dk, float[] dv) {
        int dh = sh.dh, kb = sh.stride;
        float[] kt = transposed(k, g, sh), vt = transposed(v, g, sh), keyBias = biasRow(bias, g, sh);
        float[] dkt = array((long) dh * sh.sPadded), dvt = array((long) dh * sh.sPadded);
        float[] qr = new float[ROWS * dh], qs = new float[ROWS * dh], dor = new float[ROWS * dh], lr = new float[ROWS], dr = new float[ROWS];
        float[] p = new float[ROWS * kb], ds = new float[ROWS * kb], dqr = new float[ROWS * dh];
        for (int i0 = 0; i0 < sh.t; i0 += ROWS) {
            int rows = Math.min(ROWS, sh.t - i0), j0 = firstKey(i0), end = endKey(i0 + rows - 1, sh.t), width = VectorRows.roundUp(end - j0);
            gatherRows(q, g, sh, i0, rows, scale, qr);
            toLog2(qr, qs);
            gatherRows(dO, g, sh, i0, rows, 1f, dor);
            for (int r = 0; r < ROWS; r++) {
                lr[r] = r < rows ? lRow[g * sh.t + i0 + r] * VectorRows.LOG2E : 0f;             // rows past T: dO = 0, D = 0, dS = 0
                dr[r] = r < rows ? dRow[g * sh.t + i0 + r] : 0f;
            }
            VectorRows.products(qs, dh, kt, sh.sPadded, j0, width, p, kb);                      // S = (Q/√d) Kᵀ, in log₂ units
            VectorRows.products(dor, dh, vt, sh.sPadded, j0, width, ds, kb);                    // dP = dO Vᵀ
            for (int r = 0; r < ROWS; r++) {
                maskRow(p, r * kb, width, i0 + r, j0, keyBias, sh.t);                            // S + masks, as in the forward
                VectorRows.probabilitiesAndDs(p, ds, r * kb, width, lr[r], dr[r]);              // P = exp(S − L), dS = P ⊙ (dP − D)
            }
            Arrays.fill(dqr, 0f);
            if (VectorRows.rowVectors(dh)) VectorRows.accumulateRowVectors(ds, kb, k, g * sh.t * dh, dh, j0, end, dqr);   // dS K
            else VectorRows.accumulateDots(ds, kb, kt, sh.sPadded, dh, j0, width, dqr);
            for (int e = 0, at = (g * sh.t + i0) * dh; e < rows * dh; e++) dq[at + e] = dqr[e] * scale; // dQ_i = dS K / √d
            VectorRows.outerAccumulate(ds, kb, qr, 1f, dkt, sh.sPadded, dh, j0, width);         // dK += dSᵀ (Q_i/√d)
            VectorRows.outerAccumulate(p, kb, dor, 1f, dvt, sh.sPadded, dh, j0, width);         // dV += Pᵀ dO_i
        }
        VectorRows.untranspose(dkt, g * sh.t * sh.dh, sh.t, sh.dh, sh.sPadded, dk);
        VectorRows.untranspose(dvt, g * sh.t * sh.dh, sh.t, sh.dh, sh.sPadded, dv);
    }

    // ---------------------------------------------------------------- layout

    /** qs ← qr · log₂ e: scores in log₂ units, for {@link dev.etlab.tensor.VectorMath#exp2}. */
    private static void toLog2(float[] qr, float[] qs) {
        for (int e = 0; e < qr.length; e++) qs[e] = qr[e] * VectorRows.LOG2E;
    }

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

    /**
     * Runs body for every (batch, head) pair, over the cores when {@link VectorTiles#PARALLEL_PROPERTY} allows and it pays:
     * at least 2¹⁷ query-key pairs in all (as in VectorTiles).
     */
    private void eachHead(Shape sh, java.util.function.IntConsumer body) {
        if (parallel && sh.bh > 1 && (long) sh.bh * sh.t * sh.stride >= 1 << 17) IntStream.range(0, sh.bh).parallel().forEach(body);
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
