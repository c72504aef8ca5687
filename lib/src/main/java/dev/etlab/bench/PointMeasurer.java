package dev.etlab.bench;

import dev.etlab.Lab;
import dev.etlab.attention.AttentionConfig;
import dev.etlab.io.ConfigCodec;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Measures one point in this process: settles memory, starts a {@link MemoryMeter} session,
 * prepares the workload, runs the warm-ups and timed repeats with a garbage collection (untimed)
 * before each run, and reports the median and fastest repeat with the memory peaks.
 *
 * <p>The collection before each run matters for memory: ND4J frees an array's native buffer only
 * once the garbage collector has collected the array object, and a forward pass leaves too little
 * garbage on the heap to trigger one, so without it the buffers of every earlier run would still
 * be resident and the peak would grow with the number of repeats.
 *
 * <p>Before the first point of a mechanism and mode in a process, the same work runs once at a
 * tiny length ({@value #PRIMING_LENGTH}), unmeasured: loading classes, compiling SameDiff's
 * machinery and growing the JVM's code and metadata areas are one-time costs of the process, not
 * of the length being measured (they added about 100 MiB of resident memory to the first
 * forward+backward point otherwise). When the Vector API is on ({@link dev.etlab.Simd}), the work then runs
 * again at {@value #JIT_PRIMING_LENGTH}, {@value #JIT_PRIMING_RUNS} times or for {@value #JIT_PRIMING_MILLIS} ms, whichever
 * is longer (at most 200 runs; 10 runs at T = 256 left the sliding window's kernel, which spreads heads over the
 * cores only from longer lengths, interpreted at 1024): until the JIT has compiled them, Vector API
 * loops run interpreted, boxing every vector, 10–20× slower and with heap garbage that grew the resident memory of
 * exact tiled attention's first points by ~200 MiB; that is a cost of a fresh JVM, not of the length measured.
 *
 * <p>Running out of memory (Java's or ND4J's) and any other failure of the workload give a skipped
 * point whose reason says what happened; they never escape.
 */
final class PointMeasurer {
    private PointMeasurer() {}

    static final int PRIMING_LENGTH = 16;
    static final int JIT_PRIMING_LENGTH = 1024, JIT_PRIMING_RUNS = 3, JIT_PRIMING_MILLIS = 1500;

    private static final Set<String> PRIMED = ConcurrentHashMap.newKeySet();

    static BenchmarkPoint measure(BenchmarkSetup setup, Mode mode, int length) {
        Lab.init();
        prime(setup, mode);
        MemoryMeter.settle();
        MemoryMeter.Session memory = MemoryMeter.start();
        double[] millis = new double[setup.repeats()];
        try {
            Workload work = Workload.prepare(setup, mode, length);
            for (int i = 0; i < setup.warmups() + setup.repeats(); i++) {
                boolean timed = i >= setup.warmups();
                MemoryMeter.settle();
                memory.beginRun();
                long start = System.nanoTime();
                work.runOnce();
                long elapsed = System.nanoTime() - start;
                memory.endRun(timed);
                if (timed) millis[i - setup.warmups()] = elapsed / 1e6;
            }
            work = null; // the workload stays part of the peak until here
            MemoryPeaks peaks = memory.stop();
            return new BenchmarkPoint(setup.label(), mode, length, setup.batch(), setup.dModel(), setup.heads(),
                median(millis), Arrays.stream(millis).min().orElse(Double.NaN), setup.repeats(),
                peaks.rssBytes(), peaks.heapBytes(), peaks.nativeBytes(), null);
        } catch (OutOfMemoryError | Exception e) {
            memory.stop();
            e.printStackTrace(System.err);
            return failed(setup, mode, length, describe(e));
        }
    }

    /**
     * "out of memory: ..." when the failure, or anything it wraps, is Java's OutOfMemoryError or
     * an allocation failure (libnd4j's limit, JavaCPP's physical-memory check); else "failed: ...".
     * ND4J wraps allocation failures (e.g. in "calculateOutputShape failed to execute"), so the
     * whole cause chain is searched and its innermost matching message reported.
     */
    static String describe(Throwable failure) {
        String memoryMessage = null;
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (t instanceof OutOfMemoryError || m.contains("Allocation failed") || m.contains("exceeds HOST device limits")
                || m.contains("Physical memory usage is too high") || m.contains("Cannot allocate") || m.contains("bad_alloc")) {
                memoryMessage = (t instanceof OutOfMemoryError ? t.getClass().getSimpleName() + ": " : "") + m;
            }
        }
        if (memoryMessage != null) return "out of memory: " + memoryMessage;
        return "failed: " + failure.getClass().getSimpleName() + ": " + failure.getMessage();
    }

    /** Runs the work once at {@link #PRIMING_LENGTH}, the first time this process sees this mechanism and mode. */
    private static void prime(BenchmarkSetup setup, Mode mode) {
        String key = ConfigCodec.encode(setup.attention(), AttentionConfig.class) + "|" + setup.causal() + "|" + mode;
        if (!PRIMED.add(key)) return;
        try {
            Workload.prepare(setup, mode, PRIMING_LENGTH).runOnce();
        } catch (RuntimeException e) {
            // a mechanism that cannot run this short (e.g. a window wider than 16): the JIT priming below still runs
        }
        if (!dev.etlab.Simd.enabled()) return;
        try {
            Workload jit = Workload.prepare(setup, mode, JIT_PRIMING_LENGTH);
            long start = System.nanoTime();
            for (int i = 0; i < 200 && (i < JIT_PRIMING_RUNS || System.nanoTime() - start < JIT_PRIMING_MILLIS * 1_000_000L); i++) {
                jit.runOnce();
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            // cannot run at this length: its first measured point pays the one-time costs instead
        }
    }

    private static BenchmarkPoint failed(BenchmarkSetup setup, Mode mode, int length, String reason) {
        MemoryMeter.settle();
        return BenchmarkPoint.skipped(setup, mode, length, oneLine(reason));
    }

    /** The reason on one line, at most 300 characters, so it fits a CSV cell and a console line. */
    static String oneLine(String reason) {
        String s = reason.replaceAll("\\s+", " ").strip();
        return s.length() > 300 ? s.substring(0, 297) + "..." : s;
    }

    /** Median of the values (mean of the middle two for an even count). */
    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
