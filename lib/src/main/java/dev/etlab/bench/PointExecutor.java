package dev.etlab.bench;

/**
 * Runs one benchmark point somewhere: in this process, in a fresh child JVM, or in a long-lived
 * child JVM that measures one point after another. Implementations never throw for a failed
 * point: they return it skipped, with the reason.
 */
interface PointExecutor extends AutoCloseable {

    BenchmarkPoint run(BenchmarkSetup setup, Mode mode, int length);

    /** Releases any child process. */
    @Override
    default void close() {}

    /** In this process, with memory tracking reset before each point (see {@link MemoryMeter}). */
    static PointExecutor inProcess() {
        return PointMeasurer::measure;
    }
}
