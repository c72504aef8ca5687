package dev.etlab.attention;

import dev.etlab.tensor.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row and layout steps shared by the Vector API attention kernels ({@link VectorTiles}, {@link VectorWindow}): the
 * online softmax's row maximum and exp, P and dS of the recomputing backward, and the per-head transposes. Loaded only
 * when {@link dev.etlab.Simd#enabled()}.
 */
final class VectorRows {
    private VectorRows() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();

    /** n rounded up to whole vectors. */
    static int roundUp(int n) {
        return (n + L - 1) / L * L;
    }

    /** log₂ e: scores multiplied by it (folded into the queries) are in log₂ units, and exp(S) = 2^(S log₂ e). */
    static final float LOG2E = 1.44269504088896341f;
    /** ln 2, to turn a log₂-unit log-sum-exp back into natural units. */
    static final double LN2 = Math.log(2);

    /** x ← 2^(x − shift) over [from, from + width) (scores in log₂ units); returns the sum. */
    static float exp2InPlace(float[] x, int from, int width, float shift) {
        FloatVector sum = FloatVector.zero(F);
        for (int jj = 0; jj < width; jj += L) {
            FloatVector p = VectorMath.exp2(FloatVector.fromArray(F, x, from + jj).sub(shift));
            p.intoArray(x, from + jj);
            sum = sum.add(p);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    /**
     * One row, keys [from, from + width), scores in log₂ units: p (scores on entry) ← P = 2^(S − L₂) with L₂ the row's
     * log-sum-exp in log₂ units, ds (dP on entry) ← dS = P ⊙ (dP − D). A pass of its own, after the products, so that
     * no vector crosses a method call the JIT might not inline.
     */
    static void probabilitiesAndDs(float[] p, float[] ds, int from, int width, float lse2, float d) {
        for (int jj = from; jj < from + width; jj += L) {
            FloatVector prob = VectorMath.exp2(FloatVector.fromArray(F, p, jj).sub(lse2));
            prob.intoArray(p, jj);
            prob.mul(FloatVector.fromArray(F, ds, jj).sub(d)).intoArray(ds, jj);
        }
    }

    /**
     * The log-sum-exp of a row in natural units, L = (m + log₂ ℓ) ln 2, from its running maximum m and sum ℓ kept
     * in log₂ units.
     */
    static float naturalLse(float m, float l) {
        return (float) (m * LN2 + Math.log(l));
    }

    // ------------------------------------------------------------ four rows against a block of keys

    /** Rows computed together by {@link #products}, {@link #accumulateDots}, {@link #accumulateRowVectors} and {@link #outerAccumulate}. */
    static final int ROWS = 4;

    /**
     * out[r·stride + jj] = Σ_c rows[r·Dh + c] · xt[c·sp + from + jj] for the four rows and jj in [0, width), width a
     * multiple of the lanes: scores S = Q Kᵀ (xt = Kᵀ) or dP = dO Vᵀ (xt = Vᵀ). A broadcast row element times a vector
     * of keys; two key vectors at a time give eight independent FMA chains (an FMA's latency is about four issue slots,
     * so four chains would leave the FMA units half idle).
     */
    static void products(float[] rows, int dh, float[] xt, int sp, int from, int width, float[] out, int stride) {
        int jj = 0;
        for (; jj + 2 * L <= width; jj += 2 * L) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
            for (int c = 0; c < dh; c++) {
                int at = c * sp + from + jj;
                FloatVector x = FloatVector.fromArray(F, xt, at), next = FloatVector.fromArray(F, xt, at + L);
                FloatVector r0 = FloatVector.broadcast(F, rows[c]), r1 = FloatVector.broadcast(F, rows[dh + c]);
                FloatVector r2 = FloatVector.broadcast(F, rows[2 * dh + c]), r3 = FloatVector.broadcast(F, rows[3 * dh + c]);
                s0 = x.fma(r0, s0);
                s1 = x.fma(r1, s1);
                s2 = x.fma(r2, s2);
                s3 = x.fma(r3, s3);
                t0 = next.fma(r0, t0);
                t1 = next.fma(r1, t1);
                t2 = next.fma(r2, t2);
                t3 = next.fma(r3, t3);
            }
            s0.intoArray(out, jj);
            s1.intoArray(out, stride + jj);
            s2.intoArray(out, 2 * stride + jj);
            s3.intoArray(out, 3 * stride + jj);
            t0.intoArray(out, jj + L);
            t1.intoArray(out, stride + jj + L);
            t2.intoArray(out, 2 * stride + jj + L);
            t3.intoArray(out, 3 * stride + jj + L);
        }
        for (; jj < width; jj += L) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int c = 0; c < dh; c++) {
                FloatVector x = FloatVector.fromArray(F, xt, c * sp + from + jj);
                s0 = x.fma(FloatVector.broadcast(F, rows[c]), s0);
                s1 = x.fma(FloatVector.broadcast(F, rows[dh + c]), s1);
                s2 = x.fma(FloatVector.broadcast(F, rows[2 * dh + c]), s2);
                s3 = x.fma(FloatVector.broadcast(F, rows[3 * dh + c]), s3);
            }
            s0.intoArray(out, jj);
            s1.intoArray(out, stride + jj);
            s2.intoArray(out, 2 * stride + jj);
            s3.intoArray(out, 3 * stride + jj);
        }
    }

    /** o[r·Dh + c] ← o[r·Dh + c] · factor[r] for the four rows (the online softmax's e^(m − m')). */
    static void scaleRows(float[] o, int dh, float[] factor) {
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < dh; c++) o[r * dh + c] *= factor[r];
        }
    }

    /** Whether a head of Dh takes {@link #accumulateRowVectors}: one or two whole vectors. */
    static boolean rowVectors(int dh) {
        return dh == L || dh == 2 * L;
    }

    /**
     * o[r, c] += Σ_j w[r·stride + j] Xᵀ[c, from + j] for the four rows, j in [0, width): P V (xt = Vᵀ) or dS K (xt = Kᵀ)
     * as dot products along the keys, reduced once per block. Any head size.
     */
    static void accumulateDots(float[] w, int stride, float[] xt, int sp, int dh, int from, int width, float[] o) {
        for (int c = 0; c < dh; c++) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int base = c * sp + from;
            for (int jj = 0; jj < width; jj += L) {
                FloatVector x = FloatVector.fromArray(F, xt, base + jj);
                a0 = x.fma(FloatVector.fromArray(F, w, jj), a0);
                a1 = x.fma(FloatVector.fromArray(F, w, stride + jj), a1);
                a2 = x.fma(FloatVector.fromArray(F, w, 2 * stride + jj), a2);
                a3 = x.fma(FloatVector.fromArray(F, w, 3 * stride + jj), a3);
            }
            o[c] += a0.reduceLanes(VectorOperators.ADD);
            o[dh + c] += a1.reduceLanes(VectorOperators.ADD);
            o[2 * dh + c] += a2.reduceLanes(VectorOperators.ADD);
            o[3 * dh + c] += a3.reduceLanes(VectorOperators.ADD);
        }
    }

    /**
     * The same sums as {@link #accumulateDots} when a head is one or two whole vectors ({@link #rowVectors}): X's rows
     * are read as they are (row-major, head from {@code base}), each key's row times the four rows' weights added into
     * vector accumulators; no reductions. Keys [j0, jEnd) only (weights at w[r·stride + j − j0]).
     */
    static void accumulateRowVectors(float[] w, int stride, float[] x, int base, int dh, int j0, int jEnd, float[] o) {
        if (dh == L) accumulateOneVectorRows(w, stride, x, base, j0, jEnd, o);
        else accumulateTwoVectorRows(w, stride, x, base, j0, jEnd, o);
    }

    /** Dh = L: even and odd keys in separate accumulators (eight FMA chains), added at the end. */
    private static void accumulateOneVectorRows(float[] w, int stride, float[] x, int base, int j0, int jEnd, float[] o) {
        FloatVector a0 = FloatVector.fromArray(F, o, 0), a1 = FloatVector.fromArray(F, o, L);
        FloatVector a2 = FloatVector.fromArray(F, o, 2 * L), a3 = FloatVector.fromArray(F, o, 3 * L);
        FloatVector b0 = FloatVector.zero(F), b1 = b0, b2 = b0, b3 = b0;
        int s2 = 2 * stride, s3 = 3 * stride, j = j0;
        for (; j + 1 < jEnd; j += 2) {
            int jj = j - j0;
            FloatVector row = FloatVector.fromArray(F, x, base + j * L), next = FloatVector.fromArray(F, x, base + (j + 1) * L);
            a0 = row.fma(FloatVector.broadcast(F, w[jj]), a0);
            a1 = row.fma(FloatVector.broadcast(F, w[stride + jj]), a1);
            a2 = row.fma(FloatVector.broadcast(F, w[s2 + jj]), a2);
            a3 = row.fma(FloatVector.broadcast(F, w[s3 + jj]), a3);
            b0 = next.fma(FloatVector.broadcast(F, w[jj + 1]), b0);
            b1 = next.fma(FloatVector.broadcast(F, w[stride + jj + 1]), b1);
            b2 = next.fma(FloatVector.broadcast(F, w[s2 + jj + 1]), b2);
            b3 = next.fma(FloatVector.broadcast(F, w[s3 + jj + 1]), b3);
        }
        if (j < jEnd) {
            int jj = j - j0;
            FloatVector row = FloatVector.fromArray(F, x, base + j * L);
            a0 = row.fma(FloatVector.broadcast(F, w[jj]), a0);
            a1 = row.fma(FloatVector.broadcast(F, w[stride + jj]), a1);
            a2 = row.fma(FloatVector.broadcast(F, w[s2 + jj]), a2);
            a3 = row.fma(FloatVector.broadcast(F, w[s3 + jj]), a3);
        }
        a0.add(b0).intoArray(o, 0);
        a1.add(b1).intoArray(o, L);
        a2.add(b2).intoArray(o, 2 * L);
        a3.add(b3).intoArray(o, 3 * L);
    }

    /** Dh = 2L: the two halves of the four rows are the eight accumulators. */
    private static void accumulateTwoVectorRows(float[] w, int stride, float[] x, int base, int j0, int jEnd, float[] o) {
        int dh = 2 * L, s2 = 2 * stride, s3 = 3 * stride;
        FloatVector a0 = FloatVector.fromArray(F, o, 0), b0 = FloatVector.fromArray(F, o, L);
        FloatVector a1 = FloatVector.fromArray(F, o, dh), b1 = FloatVector.fromArray(F, o, dh + L);
        FloatVector a2 = FloatVector.fromArray(F, o, 2 * dh), b2 = FloatVector.fromArray(F, o, 2 * dh + L);
        FloatVector a3 = FloatVector.fromArray(F, o, 3 * dh), b3 = FloatVector.fromArray(F, o, 3 * dh + L);
        for (int j = j0; j < jEnd; j++) {
            int jj = j - j0, at = base + j * dh;
            FloatVector low = FloatVector.fromArray(F, x, at), high = FloatVector.fromArray(F, x, at + L);
            FloatVector w0 = FloatVector.broadcast(F, w[jj]), w1 = FloatVector.broadcast(F, w[stride + jj]);
            FloatVector w2 = FloatVector.broadcast(F, w[s2 + jj]), w3 = FloatVector.broadcast(F, w[s3 + jj]);
            a0 = low.fma(w0, a0);
            b0 = high.fma(w0, b0);
            a1 = low.fma(w1, a1);
            b1 = high.fma(w1, b1);
            a2 = low.fma(w2, a2);
            b2 = high.fma(w2, b2);
            a3 = low.fma(w3, a3);
            b3 = high.fma(w3, b3);
        }
        a0.intoArray(o, 0);
        b0.intoArray(o, L);
        a1.intoArray(o, dh);
        b1.intoArray(o, dh + L);
        a2.intoArray(o, 2 * dh);
        b2.intoArray(o, 2 * dh + L);
        a3.intoArray(o, 3 * dh);
        b3.intoArray(o, 3 * dh + L);
    }

    /**
     * xt[c·sp + from + j] += factor · Σ_r w[r·stride + j] rows[r·Dh + c] for the four rows, j in [0, width): an outer
     * product added to a transposed block (dKᵀ += (Q/√d)ᵀ dS, dVᵀ += dOᵀ P).
     */
    static void outerAccumulate(float[] w, int stride, float[] rows, float factor, float[] xt, int sp, int dh, int from, int width) {
        for (int c = 0; c < dh; c++) {
            FloatVector f0 = FloatVector.broadcast(F, rows[c] * factor), f1 = FloatVector.broadcast(F, rows[dh + c] * factor);
            FloatVector f2 = FloatVector.broadcast(F, rows[2 * dh + c] * factor), f3 = FloatVector.broadcast(F, rows[3 * dh + c] * factor);
            int base = c * sp + from;
            for (int jj = 0; jj < width; jj += L) {
                FloatVector acc = FloatVector.fromArray(F, xt, base + jj);
                acc = FloatVector.fromArray(F, w, jj).fma(f0, acc);
                acc = FloatVector.fromArray(F, w, stride + jj).fma(f1, acc);
                acc = FloatVector.fromArray(F, w, 2 * stride + jj).fma(f2, acc);
                acc = FloatVector.fromArray(F, w, 3 * stride + jj).fma(f3, acc);
                acc.intoArray(xt, base + jj);
            }
        }
    }

    /** Σ_c a[r, c] b[r, c] for each of the rows (in double), e.g. D = rowsum(dO ⊙ O). */
    static float[] rowDots(float[] a, float[] b, int rows, int dh) {
        float[] d = new float[rows];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < dh; c++) sum += (double) a[r * dh + c] * b[r * dh + c];
            d[r] = (float) sum;
        }
        return d;
    }

    /** The n × dh rows of x from {@code base} into {@code into} as (dh, padded), column j at j (zeros past n stay). */
    static void transpose(float[] x, int base, int n, int dh, int padded, float[] into) {
        for (int j = 0; j < n; j++) {
            for (int c = 0; c < dh; c++) into[c * padded + j] = x[base + j * dh + c];
        }
    }

    /** The inverse of {@link #transpose}: (dh, padded) back into n × dh rows of {@code into} from {@code base}. */
    static void untranspose(float[] xt, int base, int n, int dh, int padded, float[] into) {
        for (int j = 0; j < n; j++) {
            for (int c = 0; c < dh; c++) into[base + j * dh + c] = xt[c * padded + j];
        }
    }
}
