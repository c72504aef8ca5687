package dev.etlab.bench;

/** The quantity a slope or crossover is computed on. */
public enum Metric {
    /** Median wall time in milliseconds ({@link BenchmarkPoint#medianMillis()}). */
    TIME,
    /** Peak memory in bytes ({@link BenchmarkPoint#peakBytes()}: resident memory when measured). */
    MEMORY;

    /** This metric's value at a point; NaN for skipped points. */
    public double of(BenchmarkPoint p) {
        if (!p.measured()) return Double.NaN;
        return this == TIME ? p.medianMillis() : p.peakBytes();
    }

    public String unit() {
        return this == TIME ? "ms" : "bytes";
    }

    public String label() {
        return this == TIME ? "time" : "memory";
    }
}
