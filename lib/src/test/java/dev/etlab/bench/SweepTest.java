package dev.etlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sweep order, memory-cap predictions, failures and the time budget, with a fake executor (no ND4J). */
class SweepTest {

    static final BenchmarkSetup SETUP = SlopeTest.setup("fake");

    /** Pretends memory = bytesPerSquare·T² and time = 1e-3·T² ms; fails at lengths ≥ failFrom. */
    static final class FakeExecutor implements PointExecutor {
        final List<String> ran = new ArrayList<>();
        final long bytesPerSquare;
        final int failFrom;

        FakeExecutor(long bytesPerSquare, int failFrom) {
            this.bytesPerSquare = bytesPerSquare;
            this.failFrom = failFrom;
        }

        @Override
        public BenchmarkPoint run(BenchmarkSetup setup, Mode mode, int length) {
            ran.add(mode.label() + " " + length);
            if (length >= failFrom) return BenchmarkPoint.skipped(setup, mode, length, "out of memory: Allocation failed");
            long bytes = bytesPerSquare * length * length;
            double ms = 1e-3 * length * length;
            return new BenchmarkPoint(setup.label(), mode, length, 1, 64, 4, ms, ms, 3, bytes, 1000, bytes, null);
        }
    }

    @Test
    void runsLengthMajorAndReportsEveryPointAsItFinishes() {
        FakeExecutor fake = new FakeExecutor(16, Integer.MAX_VALUE);
        List<BenchmarkPoint> reported = new ArrayList<>();
        List<BenchmarkPoint> points = new Sweep(fake, new SkipRules(Long.MAX_VALUE / 4, null), reported::add)
            .run(SETUP, List.of(1024, 256, 512), List.of(Mode.FORWARD, Mode.FORWARD_BACKWARD));
        assertEquals(List.of("forward 256", "forward+backward 256", "forward 512", "forward+backward 512", "forward 1024",
            "forward+backward 1024"), fake.ran);
        assertEquals(points, reported);
        assertTrue(points.stream().allMatch(BenchmarkPoint::measured));
    }

    @Test
    void skipsLengthsPredictedAboveTheCapWithTheReason() {
        FakeExecutor fake = new FakeExecutor(16, Integer.MAX_VALUE); // 16 B·T²: 1 GiB at 8192, 4 GiB at 16384
        List<BenchmarkPoint> points = new Sweep(fake, new SkipRules(2 * Bytes.GIB, null), p -> {})
            .run(SETUP, Lengths.doubling(1024, 32768), List.of(Mode.FORWARD));
        assertEquals(List.of("forward 1024", "forward 2048", "forward 4096", "forward 8192"), fake.ran);
        BenchmarkPoint skipped = points.get(4);
        assertEquals(16384, skipped.length());
        assertFalse(skipped.measured());
        assertEquals("predicted peak 4.0 GiB > cap 2.0 GiB (slope 2.00 from T=2048..8192)", skipped.skipped());
        assertTrue(points.get(5).skipped().startsWith("predicted peak 16.0 GiB > cap 2.0 GiB"), points.get(5).skipped());
        assertTrue(Double.isNaN(skipped.medianMillis()));
        assertEquals(-1, skipped.peakRssBytes());
    }

    @Test
    void aFailedLengthSkipsLongerOnesOfThatModeOnly() {
        FakeExecutor fake = new FakeExecutor(16, 2048);
        List<BenchmarkPoint> points = new Sweep(fake, new SkipRules(Long.MAX_VALUE / 4, null), p -> {})
            .run(SETUP, Lengths.doubling(1024, 4096), List.of(Mode.FORWARD));
        assertEquals(List.of("forward 1024", "forward 2048"), fake.ran);
        assertEquals("out of memory: Allocation failed", points.get(1).skipped());
        assertEquals("shorter length 2048 failed (out of memory: Allocation failed)", points.get(2).skipped());
    }

    @Test
    void timeBudgetSkipsLengthsAfterAPointThatTookTooLong() {
        FakeExecutor fake = new FakeExecutor(1, Integer.MAX_VALUE); // 1e-3·T² ms: 4096 → 16.8 s median, × 4 runs = 67 s
        List<BenchmarkPoint> points = new Sweep(fake, new SkipRules(Long.MAX_VALUE / 4, Duration.ofSeconds(60)), p -> {})
            .run(SETUP, Lengths.doubling(1024, 8192), List.of(Mode.FORWARD));
        assertEquals(List.of("forward 1024", "forward 2048", "forward 4096"), fake.ran);
        assertEquals("length 4096 took about 67.1 s > time budget 60.0 s", points.get(3).skipped());
    }

    @Test
    void forecastIsQuadraticFromOnePointAndUsesTheSteeperLocalSlopeFromMore() {
        BenchmarkPoint p1 = new BenchmarkPoint("m", Mode.FORWARD, 1024, 1, 64, 4, 1, 1, 1, 64 * Bytes.MIB, 0, 0, null);
        assertEquals(256 * Bytes.MIB, MemoryForecast.predict(List.of(p1), 2048).orElseThrow().bytes());
        assertTrue(MemoryForecast.predict(List.of(), 2048).isEmpty());
        // flat then steep: the last two points' slope (2) wins over the three-point fit
        BenchmarkPoint p0 = new BenchmarkPoint("m", Mode.FORWARD, 512, 1, 64, 4, 1, 1, 1, 60 * Bytes.MIB, 0, 0, null);
        BenchmarkPoint p2 = new BenchmarkPoint("m", Mode.FORWARD, 2048, 1, 64, 4, 1, 1, 1, 256 * Bytes.MIB, 0, 0, null);
        MemoryForecast.Prediction p = MemoryForecast.predict(List.of(p0, p1, p2), 4096).orElseThrow();
        assertEquals(Bytes.GIB, p.bytes(), Bytes.MIB);
        // never below linear growth, even if memory fell
        BenchmarkPoint p3 = new BenchmarkPoint("m", Mode.FORWARD, 4096, 1, 64, 4, 1, 1, 1, 100 * Bytes.MIB, 0, 0, null);
        assertEquals(200 * Bytes.MIB, MemoryForecast.predict(List.of(p2, p3), 8192).orElseThrow().bytes(), Bytes.MIB);
        assertNull(List.of(p1).get(0).skipped());
    }
}
