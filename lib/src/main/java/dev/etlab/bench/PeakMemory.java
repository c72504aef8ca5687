package dev.etlab.bench;

/**
 * Peak memory of one piece of work run in this process (a notebook's training step, say), with the
 * benchmark's meter: garbage settled first, then resident memory's high-water mark (exact where the
 * kernel lets it be reset) and ND4J's off-heap bytes (sampled about every millisecond) above the
 * baseline. A single run in a shared JVM: good for comparisons within one run, not for absolute figures.
 */
public final class PeakMemory {
    private PeakMemory() {}

    /** Peaks above the baseline, in bytes: resident (−1 where unavailable) and ND4J off-heap. */
    public record Peak(long residentBytes, long nativeBytes) {}

    public static Peak of(Runnable work) {
        MemoryMeter.settle();
        MemoryMeter.Session session = MemoryMeter.start();
        session.beginRun();
        work.run();
        session.endRun(true);
        MemoryPeaks peaks = session.stop();
        return new Peak(peaks.rssBytes(), peaks.nativeBytes());
    }
}
