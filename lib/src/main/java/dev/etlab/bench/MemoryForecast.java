package dev.etlab.bench;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Predicts a point's peak memory from the shorter lengths already measured in the same sweep, so
 * that lengths that would exceed the memory cap are skipped instead of run.
 *
 * <ul>
 *   <li>No measured point yet: no prediction (the point runs).</li>
 *   <li>One: the last peak scaled quadratically, peak · (T / T_last)² — conservative for every
 *       mechanism in the lab, none of which grows faster than standard attention.</li>
 *   <li>Two or more: the last peak scaled by (T / T_last)^e, where e is the larger of the log–log
 *       slope through the last two points and the least-squares slope of the last three, and at
 *       least 1. Using the local slope, not a fit over all lengths, matters: at short lengths
 *       fixed costs flatten the curve, and a global slope would under-predict the long ones.</li>
 * </ul>
 */
final class MemoryForecast {
    private MemoryForecast() {}

    /** A predicted peak and how it was obtained. */
    record Prediction(long bytes, String basis) {}

    /** Floor applied before taking logarithms: peaks this small are noise. */
    private static final double FLOOR_BYTES = 1 << 20;

    static Optional<Prediction> predict(List<BenchmarkPoint> earlier, int length) {
        List<BenchmarkPoint> measured = earlier.stream()
            .filter(p -> p.measured() && p.length() < length && p.peakBytes() >= 0)
            .sorted(Comparator.comparingInt(BenchmarkPoint::length)).toList();
        if (measured.isEmpty()) return Optional.empty();
        BenchmarkPoint last = measured.get(measured.size() - 1);
        double exponent;
        String basis;
        if (measured.size() == 1) {
            exponent = 2;
            basis = "quadratic from T=" + last.length();
        } else {
            BenchmarkPoint previous = measured.get(measured.size() - 2);
            double lastTwo = slope(previous, last);
            List<BenchmarkPoint> lastThree = measured.subList(Math.max(0, measured.size() - 3), measured.size());
            double[] x = lastThree.stream().mapToDouble(p -> Math.log(p.length())).toArray();
            double[] y = lastThree.stream().mapToDouble(p -> Math.log(Math.max(FLOOR_BYTES, p.peakBytes()))).toArray();
            double fitted = Slope.leastSquares(x, y)[0];
            exponent = Math.max(1, Math.max(lastTwo, fitted));
            basis = String.format(Locale.ROOT, "slope %.2f from T=%d..%d", exponent, lastThree.get(0).length(), last.length());
        }
        double predicted = Math.max(FLOOR_BYTES, last.peakBytes()) * Math.pow((double) length / last.length(), exponent);
        return Optional.of(new Prediction((long) Math.min(predicted, Long.MAX_VALUE / 2.0), basis));
    }

    private static double slope(BenchmarkPoint a, BenchmarkPoint b) {
        return (Math.log(Math.max(FLOOR_BYTES, b.peakBytes())) - Math.log(Math.max(FLOOR_BYTES, a.peakBytes())))
            / (Math.log(b.length()) - Math.log(a.length()));
    }
}
