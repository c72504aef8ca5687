package dev.etlab;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Process-wide settings, applied once before ND4J does real work ({@link #init}).
 *
 * <ul>
 *   <li>SameDiff's array cache off (system property {@code org.nd4j.autodiff.samediff=false}): with it
 *       on, memory grew every training step (9.9 GB in 24 steps at T = 2048 in our probe).</li>
 *   <li>BLAS threads: {@code ETLAB_BLAS_THREADS}, default 1, which was faster and steadier than 2
 *       for our small models on a 2-core machine.</li>
 *   <li>Also set by our launch scripts, outside Java's reach: {@code MALLOC_ARENA_MAX=1} and
 *       {@code OMP_WAIT_POLICY=PASSIVE} (OpenMP threads sleep while waiting: spinning made every
 *       native op crawl whenever anything else ran on a 2-core machine).</li>
 * </ul>
 */
public final class Lab {
    private Lab() {}

    private static volatile boolean initialised;

    /** Idempotent. Called by {@link Backend#report()}, the trainer and the benchmark harness. */
    public static synchronized void init() {
        if (initialised) return;
        System.setProperty("org.nd4j.autodiff.samediff", "false");
        Nd4j.factory().blas().setMaxThreads(blasThreads());
        initialised = true;
    }

    static int blasThreads() {
        String v = System.getenv("ETLAB_BLAS_THREADS");
        if (v == null || v.isBlank()) return 1;
        try {
            int n = Integer.parseInt(v.trim());
            Check.arg(n > 0, "ETLAB_BLAS_THREADS", v, "a positive integer");
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ETLAB_BLAS_THREADS = \"" + v + "\": expected a positive integer", e);
        }
    }

    /** True when {@code ETLAB_QUICK=1}: notebooks and mains shrink to their quick (test) sizes. */
    public static boolean quick() {
        String v = System.getenv("ETLAB_QUICK");
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
    }

    /** {@code full} in normal runs, {@code quick} under {@code ETLAB_QUICK=1}. */
    public static <V> V pick(V quick, V full) {
        return quick() ? quick : full;
    }

    /**
     * Runs {@code work} with SameDiff's "Added differentiated op ..." lines (a plain stdout print in
     * ND4J 1.0.0-M2.1 the first time a graph is differentiated) filtered out of System.out.
     */
    public static <V> V withoutGraphChatter(Callable<V> work) {
        PrintStream original = System.out;
        PrintStream filtered = new PrintStream(new LineFilter(original), true, StandardCharsets.UTF_8);
        System.setOut(filtered);
        try {
            return work.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            filtered.flush();
            System.setOut(original);
        }
    }

    /** Passes lines through unless they are SameDiff's differentiation chatter. */
    private static final class LineFilter extends OutputStream {
        private final PrintStream target;
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

        LineFilter(PrintStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) {
            line.write(b);
            if (b == '\n') emit();
        }

        @Override
        public void flush() {
            if (line.size() > 0) emit();
            target.flush();
        }

        private void emit() {
            String s = line.toString(StandardCharsets.UTF_8);
            line.reset();
            if (!s.startsWith("Added differentiated op ")) target.print(s);
        }
    }
}
