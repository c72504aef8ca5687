package dev.etlab.viz;

/** What a complexity chart plots against sequence length. */
public enum Metric {
    /** Median wall time of a forward (or forward+backward) pass, in milliseconds. */
    TIME,
    /** Peak memory above the point's baseline ({@link MemoryField} picks RSS, heap or native). */
    MEMORY
}
