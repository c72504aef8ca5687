package dev.etlab.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Plain-text views of benchmark points: a table, and the fitted log–log slopes. */
public final class BenchmarkReport {
    private BenchmarkReport() {}

    /** One row per point: length, mode, median and fastest time, the three peaks, or why it was skipped. */
    public static String table(List<BenchmarkPoint> points) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-22s %-16s %7s %11s %11s %11s %11s %11s%n",
            "mechanism", "mode", "length", "median ms", "min ms", "peak RSS", "peak heap", "peak ND4J"));
        for (BenchmarkPoint p : points) {
            if (p.measured()) {
                sb.append(String.format(Locale.ROOT, "%-22s %-16s %7d %11.1f %11.1f %11s %11s %11s%n", p.mechanism(), p.mode().label(),
                    p.length(), p.medianMillis(), p.minMillis(), Bytes.format(p.peakRssBytes()), Bytes.format(p.peakHeapBytes()),
                    Bytes.format(p.peakNativeBytes())));
            } else {
                sb.append(String.format(Locale.ROOT, "%-22s %-16s %7d   skipped: %s%n", p.mechanism(), p.mode().label(), p.length(), p.skipped()));
            }
        }
        return sb.toString();
    }

    /**
     * The slope over the long lengths, where the asymptotic term dominates: measured lengths from
     * an eighth of the longest measured one (the last three doublings) up to it.
     */
    public static Optional<Slope> longRangeSlope(List<BenchmarkPoint> points, String mechanism, Mode mode, Metric metric) {
        int longest = points.stream().filter(p -> p.measured() && p.mechanism().equals(mechanism) && p.mode() == mode)
            .mapToInt(BenchmarkPoint::length).max().orElse(0);
        return trySlope(points, mechanism, mode, metric, Math.max(1, longest / 8), longest);
    }

    /** The slope over every measured length. */
    public static Optional<Slope> fullRangeSlope(List<BenchmarkPoint> points, String mechanism, Mode mode, Metric metric) {
        return trySlope(points, mechanism, mode, metric, 1, Integer.MAX_VALUE);
    }

    private static Optional<Slope> trySlope(List<BenchmarkPoint> points, String mechanism, Mode mode, Metric metric, int from, int to) {
        try {
            return from <= to && to > 0 ? Optional.of(Slope.fit(points, mechanism, mode, metric, from, to)) : Optional.empty();
        } catch (IllegalArgumentException notEnoughPoints) {
            return Optional.empty();
        }
    }

    /** For each mechanism and mode: time and memory slopes over all lengths and over the long lengths. */
    public static String slopes(List<BenchmarkPoint> points) {
        Set<String> mechanisms = new LinkedHashSet<>();
        points.forEach(p -> mechanisms.add(p.mechanism()));
        List<String> lines = new ArrayList<>();
        for (String m : mechanisms) {
            for (Mode mode : Mode.values()) {
                if (points.stream().noneMatch(p -> p.mechanism().equals(m) && p.mode() == mode)) continue;
                for (Metric metric : Metric.values()) {
                    String all = fullRangeSlope(points, m, mode, metric).map(BenchmarkReport::brief).orElse("n/a");
                    String longRange = longRangeSlope(points, m, mode, metric).map(BenchmarkReport::brief).orElse("n/a");
                    lines.add(String.format(Locale.ROOT, "%-22s %-16s %-6s slope  all lengths: %-32s long lengths: %s",
                        m, mode.label(), metric.label(), all, longRange));
                }
            }
        }
        return String.join(System.lineSeparator(), lines) + System.lineSeparator();
    }

    private static String brief(Slope s) {
        return String.format(Locale.ROOT, "%.2f (R² %.3f, T %d..%d)", s.exponent(), s.r2(), s.fromLength(), s.toLength());
    }
}
