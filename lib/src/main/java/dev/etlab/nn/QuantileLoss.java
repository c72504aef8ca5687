package dev.etlab.nn;

import dev.etlab.Check;
import dev.etlab.tensor.Ops;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ρ-quantile loss of Li et al. 2019 (Section 5, after Seeger et al. 2016): for a target z and a
 * prediction ẑ of its ρ-quantile,
 * <pre>
 * P_ρ(z, ẑ) = ρ (z − ẑ)          if z &gt; ẑ
 *           = (1 − ρ)(ẑ − z)    otherwise          = ρ·d + ReLU(−d),  d = z − ẑ
 * </pre>
 * minimised in expectation by the true ρ-quantile (ρ = 0.5: half the absolute error). The metric is the
 * normalised risk R_ρ = 2 Σ P_ρ(z_i, ẑ_i) / Σ |z_i| over every forecast step ({@link #risk}).
 */
public final class QuantileLoss {
    private QuantileLoss() {}

    /**
     * The training loss: Σ_ρ P_ρ averaged over the positions where the mask is 1.
     *
     * @param predicted (B, T, Q) one output per quantile
     * @param targets   (B, T)
     * @param mask      (B, T) 1 where the prediction counts
     */
    public static <T> T loss(Ops<T> ops, T predicted, T targets, T mask, double[] quantiles) {
        long[] s = ops.shape(predicted);
        Check.arg(s.length == 3 && s[2] == quantiles.length, "predicted", java.util.Arrays.toString(s),
            "shape (B, T, " + quantiles.length + "): one output per quantile");
        T d = ops.sub(ops.reshape(targets, s[0], s[1], 1), predicted);                          // (B, T, Q)  z − ẑ
        T rho = ops.constant(Nd4j.createFromArray(quantiles).reshape(1, 1, quantiles.length));
        T pinball = ops.sum(ops.add(ops.mul(d, rho), ops.relu(ops.neg(d))), false, 2);          // (B, T)  Σ_ρ P_ρ
        return ops.div(ops.sum(ops.mul(pinball, mask), false), ops.sum(mask, false));
    }

    /** P_ρ(z, ẑ) for one pair. */
    public static double pinball(double z, double predicted, double rho) {
        double d = z - predicted;
        return d > 0 ? rho * d : (rho - 1) * d;
    }

    /** R_ρ = 2 Σ P_ρ(z, ẑ) / Σ |z| over all entries (rows: windows, columns: forecast steps). */
    public static double risk(double[][] truth, double[][] predicted, double rho) {
        Check.arg(truth.length == predicted.length, "predicted", predicted.length + " rows", truth.length + " rows like truth");
        double loss = 0, norm = 0;
        for (int i = 0; i < truth.length; i++) {
            Check.arg(truth[i].length == predicted[i].length, "predicted row " + i, predicted[i].length + " values", truth[i].length + " like truth");
            for (int h = 0; h < truth[i].length; h++) {
                loss += pinball(truth[i][h], predicted[i][h], rho);
                norm += Math.abs(truth[i][h]);
            }
        }
        return 2 * loss / norm;
    }

    /** Mean absolute error over all entries. */
    public static double mae(double[][] truth, double[][] predicted) {
        double sum = 0;
        long n = 0;
        for (int i = 0; i < truth.length; i++) {
            for (int h = 0; h < truth[i].length; h++) {
                sum += Math.abs(truth[i][h] - predicted[i][h]);
                n++;
            }
        }
        return sum / n;
    }
}
