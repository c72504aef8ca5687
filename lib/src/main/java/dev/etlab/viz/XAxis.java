package dev.etlab.viz;

/** The x axis of a training-curve chart. */
public enum XAxis {
    /** Optimiser step. */
    STEP,
    /** Seconds since the run began (compares methods at equal compute time). */
    WALL_SECONDS
}
