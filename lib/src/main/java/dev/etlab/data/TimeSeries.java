package dev.etlab.data;

import dev.etlab.Check;

/**
 * One univariate series z_0 … z_{n−1} at a fixed step, with the seasonal periods (in steps) whose
 * phase is given to a forecasting model as a covariate (hour of day = 24 and hour of week = 168
 * for hourly data, say). Position 0 has phase 0 in every period.
 *
 * @param name    for tables and legends
 * @param values  the observations, finite
 * @param periods seasonal periods in steps (each ≥ 2); may be empty
 */
public record TimeSeries(String name, double[] values, int[] periods) {

    public TimeSeries {
        Check.arg(name != null && !name.isBlank(), "name", name, "a non-blank name");
        Check.arg(values != null && values.length >= 2, "values", values == null ? null : values.length + " values", "at least 2 values");
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) Check.arg(false, "values[" + i + "]", values[i], "a finite number (fill gaps before)");
        }
        Check.arg(periods != null, "periods", null, "an array of seasonal periods (may be empty)");
        for (int p : periods) Check.arg(p >= 2, "periods", java.util.Arrays.toString(periods), "periods of at least 2 steps");
        values = values.clone();
        periods = periods.clone();
    }

    public int length() {
        return values.length;
    }

    /** z_i. */
    public double at(int i) {
        return values[i];
    }

    /** Values [from, to) as a new array. */
    public double[] slice(int from, int to) {
        Check.arg(from >= 0 && from <= to && to <= values.length, "range", "[" + from + ", " + to + ")",
            "a range inside [0, " + values.length + ")");
        return java.util.Arrays.copyOfRange(values, from, to);
    }

    /** The series' values (a copy). */
    @Override
    public double[] values() {
        return values.clone();
    }

    @Override
    public int[] periods() {
        return periods.clone();
    }

    /** Covariates per step: sin and cos of the phase in each period, 2 per period. */
    public int covariateCount() {
        return 2 * periods.length;
    }

    /** The covariates of step i: [sin(2πi/p), cos(2πi/p)] for each period p. */
    public double[] covariates(int i) {
        double[] c = new double[covariateCount()];
        for (int k = 0; k < periods.length; k++) {
            double phase = 2 * Math.PI * Math.floorMod(i, periods[k]) / periods[k];
            c[2 * k] = Math.sin(phase);
            c[2 * k + 1] = Math.cos(phase);
        }
        return c;
    }
}
