package dev.etlab.bench;

import dev.etlab.Check;
import java.util.List;
import java.util.Locale;

/**
 * A power law value ≈ e^intercept · T^exponent fitted by least squares to log(value) against
 * log(T) over measured points: the exponent is the slope on a log–log plot (≈ 2 for the time and
 * memory of standard attention once T is large enough for the T² terms to dominate, ≈ 1 for
 * linear mechanisms).
 *
 * @param mechanism  label of the fitted points
 * @param mode       forward or forward+backward
 * @param metric     time (median ms) or memory (peak bytes)
 * @param fromLength shortest length included
 * @param toLength   longest length included
 * @param points     number of measured points fitted
 * @param exponent   fitted slope d log(value) / d log(T)
 * @param intercept  natural-log intercept: log(value) at T = 1 on the fitted line
 * @param r2         coefficient of determination of the log–log fit (1 = every point on the line)
 */
public record Slope(String mechanism, Mode mode, Metric metric, int fromLength, int toLength, int points,
                    double exponent, double intercept, double r2) {

    /** Fits every measured point of one mechanism and mode. */
    public static Slope fit(List<BenchmarkPoint> points, String mechanism, Mode mode, Metric metric) {
        return fit(points, mechanism, mode, metric, 1, Integer.MAX_VALUE);
    }

    /**
     * Fits the measured points of one mechanism and mode with fromLength ≤ T ≤ toLength. Needs at
     * least two distinct lengths with positive values.
     */
    public static Slope fit(List<BenchmarkPoint> points, String mechanism, Mode mode, Metric metric, int fromLength, int toLength) {
        Check.positive("fromLength", fromLength);
        Check.arg(toLength >= fromLength, "toLength", toLength, "at least fromLength = " + fromLength);
        List<BenchmarkPoint> chosen = points.stream()
            .filter(p -> p.measured() && p.mechanism().equals(mechanism) && p.mode() == mode)
            .filter(p -> p.length() >= fromLength && p.length() <= toLength)
            .sorted(java.util.Comparator.comparingInt(BenchmarkPoint::length)).toList();
        for (BenchmarkPoint p : chosen) {
            Check.arg(metric.of(p) > 0, metric.label() + " at " + mechanism + " " + mode.label() + " T=" + p.length(), metric.of(p),
                "a positive value to take its logarithm (fit from a longer length)");
        }
        Check.arg(chosen.stream().mapToInt(BenchmarkPoint::length).distinct().count() >= 2, "points of " + mechanism + " " + mode.label()
            + " in [" + fromLength + ", " + toLength + "]", chosen.size() + " measured", "at least two distinct measured lengths to fit a slope");
        double[] x = chosen.stream().mapToDouble(p -> Math.log(p.length())).toArray();
        double[] y = chosen.stream().mapToDouble(metric::of).map(Math::log).toArray();
        double[] line = leastSquares(x, y);
        return new Slope(mechanism, mode, metric, chosen.get(0).length(), chosen.get(chosen.size() - 1).length(),
            chosen.size(), line[0], line[1], line[2]);
    }

    /** {slope, intercept, r²} of the least-squares line y ≈ slope·x + intercept (x needs two distinct values). */
    public static double[] leastSquares(double[] x, double[] y) {
        int n = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i] / n;
            my += y[i] / n;
        }
        double sxx = 0, sxy = 0, syy = 0;
        for (int i = 0; i < n; i++) {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
            syy += (y[i] - my) * (y[i] - my);
        }
        double slope = sxy / sxx;
        double intercept = my - slope * mx;
        double residual = 0;
        for (int i = 0; i < n; i++) {
            double e = y[i] - (slope * x[i] + intercept);
            residual += e * e;
        }
        double r2 = syy == 0 ? 1 : 1 - residual / syy;
        return new double[] {slope, intercept, r2};
    }

    /** Where {@code challenger} starts to beat {@code baseline}; see {@link Crossover#find}. */
    public static Crossover crossover(List<BenchmarkPoint> points, String challenger, String baseline, Mode mode, Metric metric) {
        return Crossover.find(points, challenger, baseline, mode, metric);
    }

    /** The fitted line's value at length T (ms or bytes). */
    public double predict(double length) {
        return Math.exp(intercept + exponent * Math.log(length));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s %s %s slope %.2f (R² %.3f, %d points, T %d..%d)",
            mechanism, mode.label(), metric.label(), exponent, r2, points, fromLength, toLength);
    }
}
