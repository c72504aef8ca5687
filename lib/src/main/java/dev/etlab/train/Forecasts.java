package dev.etlab.train;

import dev.etlab.Check;
import dev.etlab.nn.QuantileLoss;

/**
 * Forecasts of a set of windows, in the series' own units, with the truth beside them.
 *
 * @param label     the model, for tables and plots
 * @param context   the conditioning values of each window (N, t0)
 * @param truth     what happened over the horizon (N, τ)
 * @param quantiles the ρ of each prediction set
 * @param predicted predicted quantiles (Q, N, τ); a point forecaster has one set, labelled ρ = 0.5
 */
public record Forecasts(String label, double[][] context, double[][] truth, double[] quantiles, double[][][] predicted) {

    public Forecasts {
        Check.arg(predicted.length == quantiles.length, "predicted", predicted.length + " sets", quantiles.length + ", one per quantile");
        for (double[][] p : predicted) Check.arg(p.length == truth.length, "predicted", p.length + " windows", truth.length + " like truth");
    }

    /** A point forecaster's predictions (taken as its median). */
    public static Forecasts point(String label, double[][] context, double[][] truth, double[][] predicted) {
        return new Forecasts(label, context, truth, new double[] {0.5}, new double[][][] {predicted});
    }

    public int windows() {
        return truth.length;
    }

    public int horizon() {
        return truth.length == 0 ? 0 : truth[0].length;
    }

    /** The predictions of quantile ρ (N, τ). */
    public double[][] quantile(double rho) {
        for (int i = 0; i < quantiles.length; i++) if (quantiles[i] == rho) return predicted[i];
        throw new IllegalArgumentException("rho = " + rho + ": expected one of " + java.util.Arrays.toString(quantiles));
    }

    public boolean has(double rho) {
        for (double q : quantiles) if (q == rho) return true;
        return false;
    }

    /** R_ρ = 2 Σ P_ρ / Σ |z| (Li et al. 2019's metric); NaN when the model does not predict quantile ρ. */
    public double risk(double rho) {
        return has(rho) ? QuantileLoss.risk(truth, quantile(rho), rho) : Double.NaN;
    }

    /** Mean absolute error of the median forecast. */
    public double mae() {
        return QuantileLoss.mae(truth, quantile(0.5));
    }

    @Override
    public String toString() {
        return String.format("%s: R0.5 %.4f, R0.9 %.4f, MAE %.4g over %d windows × %d steps", label, risk(0.5), risk(0.9), mae(),
            windows(), horizon());
    }
}
