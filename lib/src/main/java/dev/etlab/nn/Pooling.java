package dev.etlab.nn;

/** How a classifier turns (B, T, D) states into one (B, D) vector. */
public enum Pooling {
    /** Mean over real (unpadded) tokens. */
    MEAN,
    /** The state at position 0 (a [CLS]-style token the data puts there). */
    FIRST
}
