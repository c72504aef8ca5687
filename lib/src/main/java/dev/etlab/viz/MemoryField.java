package dev.etlab.viz;

import dev.etlab.bench.BenchmarkPoint;

/** Which peak-memory figure of a {@link BenchmarkPoint} a memory chart uses. */
public enum MemoryField {
    /** Resident set size: everything the process touched, native buffers included (the default). */
    RSS("peak RSS"),
    /** JVM heap only. */
    HEAP("peak heap"),
    /** ND4J's tracked off-heap (JavaCPP) allocations. */
    NATIVE("peak native");

    private final String label;

    MemoryField(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public long bytes(BenchmarkPoint p) {
        return switch (this) {
            case RSS -> p.peakRssBytes();
            case HEAP -> p.peakHeapBytes();
            case NATIVE -> p.peakNativeBytes();
        };
    }
}
