package dev.etlab.bench;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Decides, before a point runs, whether to skip it, and says why. Rules, per mechanism and mode,
 * in order:
 * <ol>
 *   <li>a shorter length failed when it ran (out of memory, say): longer ones would too;</li>
 *   <li>the predicted peak memory ({@link MemoryForecast}) exceeds the memory cap;</li>
 *   <li>a shorter length already took longer than the time budget (estimated as its median
 *       times warm-ups plus repeats).</li>
 * </ol>
 *
 * @param memoryCapBytes largest predicted peak (above baseline) a point may have
 * @param timeBudget     largest time one point may take before longer lengths are skipped; null for none
 */
record SkipRules(long memoryCapBytes, Duration timeBudget) {
    SkipRules {
        dev.etlab.Check.arg(memoryCapBytes > 0, "memoryCapBytes", memoryCapBytes, "a positive number of bytes");
        dev.etlab.Check.arg(timeBudget == null || (!timeBudget.isNegative() && !timeBudget.isZero()), "timeBudget", timeBudget,
            "a positive duration, or none");
    }

    /**
     * @param setup   the benchmark (for warm-ups and repeats)
     * @param earlier the points of the same mechanism and mode that ran or were skipped so far
     * @param failed  those of {@code earlier} that failed when they ran (as opposed to being skipped by these rules)
     */
    Optional<String> reasonToSkip(BenchmarkSetup setup, int length, List<BenchmarkPoint> earlier, List<BenchmarkPoint> failed) {
        for (BenchmarkPoint f : failed) {
            if (f.length() < length) return Optional.of("shorter length " + f.length() + " failed (" + f.skipped() + ")");
        }
        Optional<MemoryForecast.Prediction> memory = MemoryForecast.predict(earlier, length);
        if (memory.isPresent() && memory.get().bytes() > memoryCapBytes) {
            return Optional.of("predicted peak " + Bytes.format(memory.get().bytes()) + " > cap " + Bytes.format(memoryCapBytes)
                + " (" + memory.get().basis() + ")");
        }
        if (timeBudget != null) {
            for (BenchmarkPoint p : earlier) {
                if (!p.measured() || p.length() >= length) continue;
                double seconds = p.medianMillis() * (setup.warmups() + setup.repeats()) / 1000;
                if (seconds > timeBudget.toMillis() / 1000.0) {
                    return Optional.of(String.format(Locale.ROOT, "length %d took about %.1f s > time budget %.1f s",
                        p.length(), seconds, timeBudget.toMillis() / 1000.0));
                }
            }
        }
        return Optional.empty();
    }
}
