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

    /** max of x over [from, from + width), width a multiple of the lanes. */
    static float rowMax(float[] x, int from, int width) {
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int jj = 0; jj < width; jj += L) max = max.max(FloatVector.fromArray(F, x, from + jj));
        return max.reduceLanes(VectorOperators.MAX);
    }

    /** x ← exp(x − shift) over [from, from + width); returns the sum. */
    static float expInPlace(float[] x, int from, int width, float shift) {
        FloatVector sum = FloatVector.zero(F);
        for (int jj = 0; jj < width; jj += L) {
            FloatVector p = VectorMath.exp(FloatVector.fromArray(F, x, from + jj).sub(shift));
            p.intoArray(x, from + jj);
            sum = sum.add(p);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    /** At {@code at}: p (scores on entry) ← P = exp(S − L), ds ← dS = P ⊙ (dP − D). */
    static void probabilityAndDs(float[] p, float[] ds, int at, float lse, float d, FloatVector dp) {
        FloatVector prob = VectorMath.exp(FloatVector.fromArray(F, p, at).sub(lse));
        prob.intoArray(p, at);
        prob.mul(dp.sub(d)).intoArray(ds, at);
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
