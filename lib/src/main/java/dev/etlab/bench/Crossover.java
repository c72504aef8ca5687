package dev.etlab.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a challenger mechanism starts to beat a baseline (usually standard attention) on time or
 * memory: lower is better for both.
 *
 * @param challenger      label of the mechanism that should win at long lengths
 * @param baseline        label of the mechanism it is compared with
 * @param mode            forward or forward+backward
 * @param metric          time or memory
 * @param kind            how the crossover was found
 * @param measuredLength  the smallest measured length from which the challenger is better at every longer
 *                        length measured for both; -1 when there is none
 * @param estimatedLength crossover length on log–log lines: interpolated between the two measured lengths that
 *                        bracket it ({@link Kind#MEASURED}), or where the lines fitted to the three longest
 *                        common lengths meet beyond the measured range ({@link Kind#EXTRAPOLATED}); NaN otherwise
 */
public record Crossover(String challenger, String baseline, Mode mode, Metric metric, Kind kind,
                        int measuredLength, double estimatedLength) {

    /** How a crossover was found. */
    public enum Kind {
        /** The challenger is better at every length measured for both. */
        ALWAYS,
        /** The challenger becomes better within the measured lengths and stays better. */
        MEASURED,
        /** Not better within the measured lengths, but its log–log line falls below the baseline's further on. */
        EXTRAPOLATED,
        /** Not better, and its line is not steeper downwards than the baseline's: no crossover ahead. */
        NONE
    }

    /**
     * Compares {@code challenger} with {@code baseline} over the lengths measured for both (points
     * where either was skipped do not count).
     */
    public static Crossover find(List<BenchmarkPoint> points, String challenger, String baseline, Mode mode, Metric metric) {
        Map<Integer, Double> a = values(points, challenger, mode, metric);
        Map<Integer, Double> b = values(points, baseline, mode, metric);
        List<Integer> common = new ArrayList<>(a.keySet());
        common.retainAll(b.keySet());
        dev.etlab.Check.arg(common.size() >= 2, "lengths measured for both " + challenger + " and " + baseline + " (" + mode.label() + ")",
            common.toString(), "at least two");
        int n = common.size();
        int from = n;                                      // first index of the final run where the challenger wins
        while (from > 0 && a.get(common.get(from - 1)) < b.get(common.get(from - 1))) from--;
        if (from == 0) return new Crossover(challenger, baseline, mode, metric, Kind.ALWAYS, common.get(0), Double.NaN);
        if (from < n) {
            int lo = common.get(from - 1), hi = common.get(from);
            double gapLo = Math.log(a.get(lo)) - Math.log(b.get(lo));      // ≥ 0: challenger not better
            double gapHi = Math.log(a.get(hi)) - Math.log(b.get(hi));      // < 0: challenger better
            double f = gapLo / (gapLo - gapHi);
            double estimate = Math.exp(Math.log(lo) + f * (Math.log(hi) - Math.log(lo)));
            return new Crossover(challenger, baseline, mode, metric, Kind.MEASURED, hi, estimate);
        }
        List<BenchmarkPoint> tail = points.stream().filter(p -> p.measured() && p.mode() == mode
            && common.subList(Math.max(0, n - 3), n).contains(p.length())).toList();
        Slope sa = Slope.fit(tail, challenger, mode, metric);
        Slope sb = Slope.fit(tail, baseline, mode, metric);
        if (sa.exponent() >= sb.exponent()) return new Crossover(challenger, baseline, mode, metric, Kind.NONE, -1, Double.NaN);
        double logT = (sb.intercept() - sa.intercept()) / (sa.exponent() - sb.exponent());
        return new Crossover(challenger, baseline, mode, metric, Kind.EXTRAPOLATED, -1, Math.exp(logT));
    }

    private static Map<Integer, Double> values(List<BenchmarkPoint> points, String mechanism, Mode mode, Metric metric) {
        Map<Integer, Double> out = new TreeMap<>();
        for (BenchmarkPoint p : points) {
            if (p.measured() && p.mechanism().equals(mechanism) && p.mode() == mode && metric.of(p) > 0) out.put(p.length(), metric.of(p));
        }
        return out;
    }

    /**
     * The crossover in a few words, for a table cell: "faster from T = 256 (every length)", "from T ≈ 690 (measured
     * 1024)", "beyond the range, T ≈ 4847 (extrapolated)", "none ahead". "Faster" or "smaller" by the metric.
     */
    public String brief() {
        String better = metric == Metric.MEMORY ? "smaller" : "faster";
        return switch (kind) {
            case ALWAYS -> better + " from T = " + measuredLength + " (every length)";
            case MEASURED -> String.format(Locale.ROOT, "%s from T ≈ %.0f (measured %d)", better, estimatedLength, measuredLength);
            case EXTRAPOLATED -> String.format(Locale.ROOT, "%s beyond the range, T ≈ %.0f (extrapolated)", better, estimatedLength);
            case NONE -> "not " + better + ", none ahead";
        };
    }

    @Override
    public String toString() {
        String what = challenger + " vs " + baseline + ", " + mode.label() + " " + metric.label() + ": ";
        return what + switch (kind) {
            case ALWAYS -> "better at every measured length (from T = " + measuredLength + ")";
            case MEASURED -> String.format(Locale.ROOT, "better from measured T = %d on (log-log interpolation: T ≈ %.0f)", measuredLength, estimatedLength);
            case EXTRAPOLATED -> String.format(Locale.ROOT, "not better in the measured range; extrapolated crossover T ≈ %.0f", estimatedLength);
            case NONE -> "not better in the measured range, and its slope is not lower: no crossover ahead";
        };
    }
}
