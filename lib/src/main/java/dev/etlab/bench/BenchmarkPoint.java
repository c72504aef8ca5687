package dev.etlab.bench;

/**
 * One measured (or skipped) point of a benchmark sweep.
 *
 * <p>Memory figures are peaks above the point's baseline, which is taken after a garbage
 * collection and just before the point's workload (parameters, input, graph) is built, so they
 * include everything the point allocated: parameters, input, activations, gradients, temporaries.
 * A negative memory figure means "not measured" (skipped points, or resident memory on a system
 * without {@code /proc}).
 *
 * @param mechanism       attention kind, e.g. "standard" (or a labelled variant such as "longformer (dense mask)")
 * @param mode            forward or forward+backward
 * @param length          sequence length T
 * @param batch           batch size B
 * @param dModel          model width D
 * @param heads           heads H
 * @param medianMillis    median wall time of the timed repeats, in milliseconds (NaN when skipped)
 * @param minMillis       fastest repeat (NaN when skipped)
 * @param repeats         number of timed repeats after warm-up (0 when skipped)
 * @param peakRssBytes    peak resident memory above the point's baseline: everything the process touched, native included
 *                        (the median over the timed runs of each run's peak, or the build phase's peak if higher)
 * @param peakHeapBytes   peak JVM heap use above the baseline
 * @param peakNativeBytes peak of ND4J's tracked off-heap allocations above the baseline
 * @param skipped         null when measured; otherwise why the point was not run (e.g. predicted to exceed the memory cap)
 */
public record BenchmarkPoint(String mechanism, Mode mode, int length, int batch, int dModel, int heads,
                             double medianMillis, double minMillis, int repeats,
                             long peakRssBytes, long peakHeapBytes, long peakNativeBytes, String skipped) {

    /** A point that was not run (or failed), with the reason. */
    public static BenchmarkPoint skipped(BenchmarkSetup setup, Mode mode, int length, String reason) {
        return new BenchmarkPoint(setup.label(), mode, length, setup.batch(), setup.dModel(), setup.heads(),
            Double.NaN, Double.NaN, 0, -1, -1, -1, reason);
    }

    public boolean measured() {
        return skipped == null;
    }

    /**
     * The all-inclusive peak memory of this point: resident memory when it was measured, else the
     * larger of the heap and ND4J figures (a lower bound). Negative when skipped.
     */
    public long peakBytes() {
        return peakRssBytes >= 0 ? peakRssBytes : Math.max(peakHeapBytes, peakNativeBytes);
    }

    /** One line for progress output: label, mode, length, median time and memory, or the skip reason. */
    public String summary() {
        String head = String.format(java.util.Locale.ROOT, "%-22s %-16s T=%6d", mechanism, mode.label(), length);
        if (!measured()) return head + "  skipped: " + skipped;
        return head + String.format(java.util.Locale.ROOT, "  median %9.1f ms (min %9.1f)  peak RSS %10s  heap %10s  ND4J %10s",
            medianMillis, minMillis, Bytes.format(peakRssBytes), Bytes.format(peakHeapBytes), Bytes.format(peakNativeBytes));
    }
}
