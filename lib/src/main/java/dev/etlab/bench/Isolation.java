package dev.etlab.bench;

/**
 * How points are kept from measuring each other. Peaks must be honest: a point's peak must not
 * include memory left over from an earlier point, and its time must not include another point's
 * garbage collection.
 */
public enum Isolation {
    /**
     * Each point in a fresh child JVM: the most isolated, at the cost of starting a JVM and ND4J
     * for every point (about 2–3 s). The default of {@link BenchmarkMain}.
     */
    FRESH_PROCESS,
    /**
     * One child JVM measures the points one after another, with memory tracking reset between
     * them ({@link MemoryMeter}): the resident high-water mark reset through
     * {@code /proc/self/clear_refs}, garbage collected until ND4J's buffers are freed, heap-pool
     * peaks reset. Keeps the notebook's JVM out of the way. The default of {@link AttentionBenchmark}.
     */
    SERIES,
    /**
     * In this JVM, with the same resets as {@link #SERIES}: no child process at all. A fallback
     * (and what unit tests use); this JVM's own state, a notebook's arrays say, shares the
     * process with the measurements, and a point that exhausts memory takes this JVM with it.
     */
    IN_PROCESS;

    public String label() {
        return switch (this) {
            case FRESH_PROCESS -> "fresh process per point";
            case SERIES -> "one child process, memory tracking reset per point";
            case IN_PROCESS -> "in this process, memory tracking reset per point";
        };
    }

    /** {@code fresh}, {@code series} or {@code in-process} (or the enum names). */
    public static Isolation parse(String text) {
        String t = text == null ? "" : text.strip().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        return switch (t) {
            case "fresh", "fresh-process" -> FRESH_PROCESS;
            case "series" -> SERIES;
            case "in-process", "inprocess" -> IN_PROCESS;
            default -> throw new IllegalArgumentException("isolation = \"" + text + "\": expected fresh, series or in-process");
        };
    }
}
