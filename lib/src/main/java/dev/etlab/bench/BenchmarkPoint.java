package dev.etlab.bench;

/**
 * One measured (or skipped) point of a benchmark sweep.
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
 * @param peakHeapBytes   peak JVM heap use above the baseline
 * @param peakNativeBytes peak of ND4J's tracked off-heap allocations (JavaCPP) above the baseline
 * @param skipped         null when measured; otherwise why the point was not run (e.g. predicted to exceed the memory cap)
 */
public record BenchmarkPoint(String mechanism, Mode mode, int length, int batch, int dModel, int heads,
                             double medianMillis, double minMillis, int repeats,
                             long peakRssBytes, long peakHeapBytes, long peakNativeBytes, String skipped) {

    public boolean measured() {
        return skipped == null;
    }
}
