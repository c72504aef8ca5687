package dev.etlab;

import java.util.Arrays;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Seeded random arrays for tests. */
public final class TestData {
    private TestData() {}

    public static INDArray normal(long seed, DataType type, long... shape) {
        Random r = new Random(seed);
        long n = 1;
        for (long d : shape) n *= d;
        double[] v = new double[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return Nd4j.create(v, shape, DataType.DOUBLE).castTo(type);
    }

    public static INDArray tokens(long seed, int vocab, int batch, int length) {
        Random r = new Random(seed);
        int[] v = new int[batch * length];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(vocab);
        return Nd4j.createFromArray(v).reshape(batch, length);
    }

    /**
     * The largest |a - b| over all elements, in float64, for arrays of the same shape.
     *
     * <p>Any NaN — in either array, at any position — makes the result NaN, and so does an infinity that the other
     * array does not have at the same position with the same sign; so {@code maxAbsDiff(a, b) < tol} fails and
     * {@code assertEquals(0.0, maxAbsDiff(a, b))} fails whenever a non-finite value sneaks in. (ND4J's
     * {@code amaxNumber} skips NaN unless it is the first element, which let such arrays compare as equal.)
     *
     * @throws IllegalArgumentException if the shapes differ (no broadcasting: that would hide a shape bug)
     */
    public static double maxAbsDiff(INDArray a, INDArray b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException("maxAbsDiff: shapes " + Arrays.toString(a.shape()) + " and "
                + Arrays.toString(b.shape()) + " differ: expected arrays of the same shape");
        }
        double[] x = flat(a), y = flat(b);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            if (Double.isNaN(x[i]) || Double.isNaN(y[i])) return Double.NaN;
            if (x[i] == y[i]) continue;                        // also the same infinity on both sides
            if (Double.isInfinite(x[i]) || Double.isInfinite(y[i])) return Double.NaN;
            worst = Math.max(worst, Math.abs(x[i] - y[i]));
        }
        return worst;
    }

    private static double[] flat(INDArray a) {
        if (a.length() == 0) return new double[0];
        return a.castTo(DataType.DOUBLE).dup('c').reshape(a.length()).toDoubleVector();
    }
}
