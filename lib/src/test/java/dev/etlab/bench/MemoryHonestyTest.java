package dev.etlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.etlab.Lab;
import dev.etlab.attention.StandardAttention;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Measured peaks against an allocation known to happen: standard attention's forward pass holds
 * the (B, H, T, T) float32 score matrix, 4·B·H·T² bytes, so an honest peak is at least that.
 * Lower bounds on memory only; no timing is asserted.
 */
class MemoryHonestyTest {

    static final BenchmarkSetup ONE_RUN = new BenchmarkSetup(new StandardAttention.Config(), "standard", 64, 4, 1, false, 0, 1, 42);

    static long scoreMatrixBytes(long length) {
        return 4L * ONE_RUN.batch() * ONE_RUN.heads() * length * length;
    }

    @BeforeAll
    static void init() {
        Lab.init();
    }

    @Test
    void procStatusParsesResidentAndPeak() {
        ProcStatus.Rss r = ProcStatus.parse("Name:\tjava\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t40\n");
        assertEquals(100L * Bytes.MIB, r.currentBytes());
        assertEquals(200L * Bytes.MIB, r.peakBytes());
    }

    @Test
    void forwardPeaksCoverTheScoreMatrixAndAreResetBetweenPoints() {
        assumeTrue(ProcStatus.read().isPresent() && ProcStatus.resetPeak(), "needs Linux /proc/self/clear_refs");
        BenchmarkPoint longer = PointMeasurer.measure(ONE_RUN, Mode.FORWARD, 4096);
        BenchmarkPoint shorter = PointMeasurer.measure(ONE_RUN, Mode.FORWARD, 2048);
        for (BenchmarkPoint p : new BenchmarkPoint[] {longer, shorter}) {
            assertTrue(p.measured(), p.summary());
            assertTrue(p.peakRssBytes() >= scoreMatrixBytes(p.length()), p.summary() + " vs scores " + Bytes.format(scoreMatrixBytes(p.length())));
            assertTrue(p.peakNativeBytes() >= scoreMatrixBytes(p.length()), p.summary());
            assertTrue(p.medianMillis() > 0 && p.minMillis() <= p.medianMillis(), p.summary());
        }
        // measured after the longer point in the same process: had the peak not been reset, it would
        // report at least the longer point's peak; it is about a quarter of it
        assertTrue(shorter.peakRssBytes() < longer.peakRssBytes() / 2, shorter.summary() + " after " + longer.summary());
    }

    @Test
    void forwardBackwardHoldsTheScoresAndTheirGradient() {
        assumeTrue(ProcStatus.read().isPresent() && ProcStatus.resetPeak(), "needs Linux /proc/self/clear_refs");
        // in a fresh process, as the benchmarks run by default: in this test JVM, arrays that earlier test classes left to the
        // garbage collector can be freed during the run and offset ND4J's counter (seen once in CI: 60 MiB for 128 MiB of scores)
        BenchmarkPoint p = AttentionBenchmark.of(new StandardAttention.Config()).label("standard").dims(64, 4).batch(1)
            .lengths(2048).modes(Mode.FORWARD_BACKWARD).warmups(0).repeats(1).isolation(Isolation.FRESH_PROCESS).quiet()
            .run().get(0);
        assertTrue(p.measured(), p.summary());
        assertTrue(p.peakRssBytes() >= 2 * scoreMatrixBytes(2048), p.summary());
        assertTrue(p.peakNativeBytes() >= 2 * scoreMatrixBytes(2048), p.summary());
        assertEquals(1, p.repeats());
    }
}
