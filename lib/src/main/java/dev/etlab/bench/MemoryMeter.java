package dev.etlab.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures the peak memory of a piece of work in this process, with tracking reset at the start so
 * that one process can measure many points in turn ("series" isolation).
 *
 * <ul>
 *   <li>Resident memory: {@code /proc/self/clear_refs} resets the kernel's high-water mark, which
 *       then catches every peak exactly, including native temporaries ND4J does not count. It is
 *       reset again before each run ({@link Session#beginRun}); a run's peak is its high-water mark
 *       above the baseline (or above where the run started, if that was lower), and the result is
 *       the larger of the build phase's peak and the median of the timed runs' peaks. The median discards one-off movements of the JVM's own memory (its compiler's
 *       work areas, say), which otherwise moved peaks below 100 MiB by ±15–35 MiB. Where the
 *       reset is refused, resident memory is sampled instead (and may miss short peaks).</li>
 *   <li>Heap: the heap pools' peak usage is reset; the result is the sum of the pools' peaks.</li>
 *   <li>ND4J off-heap: {@link NativeMemory} sampled by a daemon thread about every millisecond.</li>
 * </ul>
 * Call {@link #settle()} first: ND4J frees off-heap arrays only when the garbage collector has
 * collected their Java objects, so without it the baseline would still hold the previous point;
 * and glibc keeps freed memory resident until it is trimmed, where the next point could reuse it
 * without raising the resident peak.
 *
 * <p>The sampler allocates nothing on the heap: a collection it triggered during a long pass would
 * free the pass's dead arrays early and lower its peak.
 * Only one session may be open at a time in a process.
 */
final class MemoryMeter {
    private MemoryMeter() {}

    private static final long SAMPLE_NANOS = 1_000_000;

    /**
     * Collects garbage until neither ND4J's off-heap bytes nor resident memory fall any more (by
     * more than 1 MiB over three polls 30 ms apart; ND4J's deallocator threads free buffers after
     * the collection, and unmapping gigabytes takes a while), at most {@value #SETTLE_MAX_MILLIS}
     * ms, then returns glibc's free memory to the system ({@link NativeMemory#trimMalloc}).
     * Waiting on resident memory too matters after a large point: 12 GiB of forward+backward
     * arrays were still being released when the next point's baseline was taken with a
     * counter-only check, and that point's peak read 5 GiB instead of 12.
     */
    static void settle() {
        long deadline = System.nanoTime() + SETTLE_MAX_MILLIS * 1_000_000L;
        long lastNative = Long.MAX_VALUE;
        long lastRss = Long.MAX_VALUE;
        int steady = 0;
        while (steady < 3 && System.nanoTime() < deadline) {
            System.gc();
            sleepMillis(30);
            long nativeNow = NativeMemory.currentBytes();
            long rssNow = ProcStatus.read().map(ProcStatus.Rss::currentBytes).orElse(0L);
            boolean falling = nativeNow < lastNative - Bytes.MIB || rssNow < lastRss - Bytes.MIB;
            steady = falling ? 0 : steady + 1;
            lastNative = nativeNow;
            lastRss = rssNow;
        }
        NativeMemory.trimMalloc();
    }

    static final long SETTLE_MAX_MILLIS = 10_000;

    /** Takes the baselines, resets the peaks and starts sampling. Close the session with {@link Session#stop()}. */
    static Session start() {
        return new Session();
    }

    /** One measurement in progress. */
    static final class Session {
        private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP && p.isValid()).toList();
        private final long heapBaseline;
        private final long nativeBaseline;
        private final long rssBaseline;
        private final boolean rssPeakReset;
        private final AtomicLong nativePeak = new AtomicLong();
        private final AtomicLong sampledRssPeak = new AtomicLong(-1);
        private final Thread sampler;
        private final java.util.List<Long> runPeaks = new java.util.ArrayList<>();
        private long buildPeak = -1;
        private long runStart = -1;
        private volatile boolean running = true;

        private Session() {
            heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);
            heapBaseline = heapPools.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
            nativeBaseline = NativeMemory.currentBytes();
            nativePeak.set(nativeBaseline);
            rssPeakReset = ProcStatus.resetPeak();
            rssBaseline = ProcStatus.read().map(ProcStatus.Rss::currentBytes).orElse(-1L);
            sampledRssPeak.set(rssBaseline);
            sampler = new Thread(this::sample, "etlab-memory-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }

        private void sample() {
            while (running) {
                nativePeak.accumulateAndGet(NativeMemory.currentBytes(), Math::max);
                if (!rssPeakReset && rssBaseline >= 0) sampledRssPeak.accumulateAndGet(ProcStatus.currentFromStatm(), Math::max);
                java.util.concurrent.locks.LockSupport.parkNanos(SAMPLE_NANOS);
            }
        }

        /** Call just before a run: ends the build phase and resets the resident high-water mark. */
        void beginRun() {
            if (!rssPeakReset || rssBaseline < 0) return;
            if (buildPeak < 0) buildPeak = residentPeakAboveBaseline();
            ProcStatus.resetPeak();
            runStart = ProcStatus.read().map(ProcStatus.Rss::currentBytes).orElse(-1L);
        }

        /**
         * Call just after a run; a timed run's peak goes into the median. A run's peak is measured
         * from the session's baseline, so memory a workload keeps from one run to the next (a
         * step workspace is kept for the next call) counts; but if resident memory had fallen below the
         * baseline by the time the run started (the JVM trimming its compiler's work areas, say),
         * from where the run started, so that drop is not subtracted from the run.
         */
        void endRun(boolean timed) {
            if (!rssPeakReset || !timed || runStart < 0) return;
            long peak = ProcStatus.read().map(ProcStatus.Rss::peakBytes).orElse(-1L);
            if (peak >= 0) runPeaks.add(Math.max(0, peak - Math.min(rssBaseline, runStart)));
        }

        private long residentPeakAboveBaseline() {
            long peak = ProcStatus.read().map(ProcStatus.Rss::peakBytes).orElse(-1L);
            return peak < 0 || rssBaseline < 0 ? -1 : Math.max(0, peak - rssBaseline);
        }

        /** Whether resident memory's peak was reset by the kernel (exact) rather than sampled. */
        boolean exactResidentPeak() {
            return rssPeakReset;
        }

        /** Stops sampling and returns the peaks above the baselines. */
        MemoryPeaks stop() {
            running = false;
            try {
                sampler.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            nativePeak.accumulateAndGet(NativeMemory.currentBytes(), Math::max);
            long heapPeak = heapPools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
            long rss = -1;
            if (rssBaseline >= 0 && !rssPeakReset) {
                rss = Math.max(0, sampledRssPeak.get() - rssBaseline);
            } else if (rssBaseline >= 0 && runPeaks.isEmpty()) {
                rss = residentPeakAboveBaseline();
            } else if (rssBaseline >= 0) {
                double[] peaks = runPeaks.stream().mapToDouble(Long::doubleValue).toArray();
                rss = Math.max(buildPeak, (long) PointMeasurer.median(peaks));
            }
            return new MemoryPeaks(rss, Math.max(0, heapPeak - heapBaseline), Math.max(0, nativePeak.get() - nativeBaseline));
        }
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
