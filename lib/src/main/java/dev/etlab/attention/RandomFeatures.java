package dev.etlab.attention;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Random projection matrices ω (m × d) for FAVOR+ (Choromanski et al. 2021, Section 2.4).
 * Orthogonal random features: stack ⌈m/d⌉ blocks, each the rows of an orthogonal matrix from the QR
 * decomposition of a d × d Gaussian matrix, then rescale row i by the norm of an independent
 * Gaussian d-vector, so each row has the length distribution (χ_d) of an i.i.d. Gaussian row.
 * Public so that notebook 07 can check its rebuild draws exactly these features from the same seed.
 */
public final class RandomFeatures {
    private RandomFeatures() {}

    /** m × d, rows drawn i.i.d. from N(0, I_d). */
    public static INDArray iid(int m, int d, Random rng) {
        double[][] w = new double[m][d];
        for (double[] row : w) for (int j = 0; j < d; j++) row[j] = rng.nextGaussian();
        return Nd4j.create(w).castTo(DataType.DOUBLE);
    }

    /** m × d, orthogonal within blocks of d rows, row norms χ_d-distributed. */
    public static INDArray orthogonal(int m, int d, Random rng) {
        double[][] w = new double[m][];
        for (int start = 0; start < m; start += d) {
            double[][] q = orthonormalRows(d, rng);
            for (int i = 0; i < d && start + i < m; i++) w[start + i] = q[i];
        }
        for (double[] row : w) {
            double norm = 0;
            for (int j = 0; j < d; j++) { double g = rng.nextGaussian(); norm += g * g; }
            norm = Math.sqrt(norm);
            for (int j = 0; j < d; j++) row[j] *= norm;
        }
        return Nd4j.create(w).castTo(DataType.DOUBLE);
    }

    /** The rows of the orthogonal factor of a d × d Gaussian matrix (modified Gram–Schmidt, applied twice for accuracy). */
    static double[][] orthonormalRows(int d, Random rng) {
        double[][] v = new double[d][d];
        for (double[] row : v) for (int j = 0; j < d; j++) row[j] = rng.nextGaussian();
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < d; i++) {
                for (int k = 0; k < i; k++) {
                    double dot = 0;
                    for (int j = 0; j < d; j++) dot += v[i][j] * v[k][j];
                    for (int j = 0; j < d; j++) v[i][j] -= dot * v[k][j];
                }
                double norm = 0;
                for (int j = 0; j < d; j++) norm += v[i][j] * v[i][j];
                norm = Math.sqrt(norm);
                for (int j = 0; j < d; j++) v[i][j] /= norm;
            }
        }
        return v;
    }
}
