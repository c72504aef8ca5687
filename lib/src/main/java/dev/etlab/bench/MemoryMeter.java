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
 *       then catches every peak exactly, including native temporaries ND4J does not count. Where
 *       the reset is refused, resident memory is sampled instead (and may miss short peaks).</li>
 *   <li>Heap: the heap pools' peak usage is reset; the result is the sum of the pools' peaks.</li>
 *   <li>ND4J off-heap: {@link NativeMemory} sampled by a daemon thread about every millisecond.</li>
 * </ul>
 * Call {@link #settle()} first: ND4J frees off-heap arrays only when the garbage collector has
 * collected their Java objects, so without it the baseline would still hold the previous point.
 * Only one session may be open at a time in a process.
 */
final class MemoryMeter {
    private MemoryMeter() {}

    private static final long SAMPLE_NANOS = 1_000_000;

    /**
     * Collects garbage until ND4J's off-heap bytes stop falling (ND4J's deallocator threads free
     * native buffers shortly after the collection), at most about a second.
     */
    static void settle() {
        long previous = Long.MAX_VALUE;
        int stable = 0;
        for (int i = 0; i < 40 && stable < 2; i++) {
            System.gc();
            sleepMillis(i == 0 ? 5 : 20);
            long now = NativeMemory.currentBytes();
            stable = now >= previous ? stable + 1 : 0;
            previous = Math.min(previous, now);
        }
    }

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
            if (rssBaseline >= 0) {
                long peak = rssPeakReset ? ProcStatus.read().map(ProcStatus.Rss::peakBytes).orElse(-1L) : sampledRssPeak.get();
                rss = peak < 0 ? -1 : Math.max(0, peak - rssBaseline);
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
