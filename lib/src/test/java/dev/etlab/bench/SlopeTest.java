package dev.etlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Slopes and crossovers on synthetic points that follow exact power laws. */
class SlopeTest {

    /** A measured point with time c·T^k ms and memory m·T^j bytes. */
    static BenchmarkPoint point(String mechanism, Mode mode, int length, double millis, long bytes) {
        return new BenchmarkPoint(mechanism, mode, length, 1, 64, 4, millis, millis, 3, bytes, 1000, bytes, null);
    }

    static List<BenchmarkPoint> powerLaw(String mechanism, double timeCoefficient, double timeExponent,
                                         double memoryCoefficient, double memoryExponent, int... lengths) {
        List<BenchmarkPoint> out = new ArrayList<>();
        for (int t : lengths) {
            out.add(point(mechanism, Mode.FORWARD, t, timeCoefficient * Math.pow(t, timeExponent),
                Math.round(memoryCoefficient * Math.pow(t, memoryExponent))));
        }
        return out;
    }

    @Test
    void exactPowerLawsGiveTheirExponentInterceptAndPerfectFit() {
        List<BenchmarkPoint> points = powerLaw("quadratic", 3e-5, 2.0, 16.0, 2.0, 256, 512, 1024, 2048, 4096);
        Slope time = Slope.fit(points, "quadratic", Mode.FORWARD, Metric.TIME);
        assertEquals(2.0, time.exponent(), 1e-12);
        assertEquals(Math.log(3e-5), time.intercept(), 1e-9);
        assertEquals(1.0, time.r2(), 1e-12);
        assertEquals(5, time.points());
        assertEquals(3e-5 * Math.pow(8192, 2), time.predict(8192), 1e-6);

        Slope memory = Slope.fit(points, "quadratic", Mode.FORWARD, Metric.MEMORY);
        assertEquals(2.0, memory.exponent(), 1e-9);

        List<BenchmarkPoint> linear = powerLaw("linear", 0.5, 1.0, 3000, 1.0, 1024, 2048, 4096, 8192, 16384, 32768);
        assertEquals(1.0, Slope.fit(linear, "linear", Mode.FORWARD, Metric.TIME).exponent(), 1e-12);
        assertEquals(1.0, Slope.fit(linear, "linear", Mode.FORWARD, Metric.MEMORY).exponent(), 1e-9);
    }

    @Test
    void fitUsesOnlyTheRequestedRangeMechanismModeAndMeasuredPoints() {
        List<BenchmarkPoint> points = new ArrayList<>(powerLaw("m", 1, 1.0, 1, 1.0, 256, 512));  // overhead-dominated: slope 1
        points.addAll(powerLaw("m", 1e-3, 2.0, 1, 2.0, 1024, 2048, 4096));                      // asymptotic: slope 2
        points.addAll(powerLaw("other", 1, 3.0, 1, 3.0, 1024, 2048));
        points.add(BenchmarkPoint.skipped(setup("m"), Mode.FORWARD, 8192, "predicted peak 20 GiB > cap 12 GiB"));
        points.add(new BenchmarkPoint("m", Mode.FORWARD_BACKWARD, 1024, 1, 64, 4, 5, 5, 3, 10, 1, 10, null));
        Slope s = Slope.fit(points, "m", Mode.FORWARD, Metric.TIME, 1024, 16384);
        assertEquals(2.0, s.exponent(), 1e-12);
        assertEquals(1024, s.fromLength());
        assertEquals(4096, s.toLength());
        assertEquals(3, s.points());
    }

    @Test
    void fitNeedsTwoLengthsAndPositiveValues() {
        List<BenchmarkPoint> one = powerLaw("m", 1, 2, 1, 2, 1024);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Slope.fit(one, "m", Mode.FORWARD, Metric.TIME));
        assertTrue(e.getMessage().contains("at least two distinct measured lengths"), e.getMessage());
        List<BenchmarkPoint> zero = List.of(point("m", Mode.FORWARD, 256, 1, 0), point("m", Mode.FORWARD, 512, 2, 10));
        e = assertThrows(IllegalArgumentException.class, () -> Slope.fit(zero, "m", Mode.FORWARD, Metric.MEMORY));
        assertTrue(e.getMessage().startsWith("memory at m forward T=256 = 0.0: expected a positive value"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Slope.fit(one, "m", Mode.FORWARD, Metric.TIME, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> Slope.fit(one, "m", Mode.FORWARD, Metric.TIME, 100, 10));
    }

    @Test
    void crossoverMeasuredAndInterpolatedOnLogLogLines() {
        // challenger 0.25·T ms, baseline 1e-4·T² ms: equal at T = 2500, exactly, on log-log lines
        List<BenchmarkPoint> points = new ArrayList<>(powerLaw("linear", 0.25, 1, 1, 1, 256, 512, 1024, 2048, 4096, 8192));
        points.addAll(powerLaw("standard", 1e-4, 2, 1, 2, 256, 512, 1024, 2048, 4096, 8192));
        Crossover c = Slope.crossover(points, "linear", "standard", Mode.FORWARD, Metric.TIME);
        assertEquals(Crossover.Kind.MEASURED, c.kind());
        assertEquals(4096, c.measuredLength());
        assertEquals(2500, c.estimatedLength(), 1e-6);
        assertTrue(c.toString().contains("better from measured T = 4096"), c.toString());
        assertEquals("faster from T ≈ 2500 (measured 4096)", c.brief());
    }

    @Test
    void crossoverAlwaysExtrapolatedAndNone() {
        List<BenchmarkPoint> points = new ArrayList<>(powerLaw("small", 0.001, 1, 1, 1, 256, 512, 1024));
        points.addAll(powerLaw("standard", 1e-4, 2, 1, 2, 256, 512, 1024));
        Crossover always = Crossover.find(points, "small", "standard", Mode.FORWARD, Metric.TIME);
        assertEquals(Crossover.Kind.ALWAYS, always.kind());
        assertEquals("faster from T = 256 (every length)", always.brief());

        // 1.0·T vs 1e-4·T²: equal at T = 10000, beyond the measured 256..1024
        List<BenchmarkPoint> later = new ArrayList<>(powerLaw("linear", 1.0, 1, 1, 1, 256, 512, 1024));
        later.addAll(powerLaw("standard", 1e-4, 2, 1, 2, 256, 512, 1024));
        Crossover c = Crossover.find(later, "linear", "standard", Mode.FORWARD, Metric.TIME);
        assertEquals(Crossover.Kind.EXTRAPOLATED, c.kind());
        assertEquals(-1, c.measuredLength());
        assertEquals(10000, c.estimatedLength(), 1e-6);
        assertEquals("faster beyond the range, T ≈ 10000 (extrapolated)", c.brief());

        List<BenchmarkPoint> parallel = new ArrayList<>(powerLaw("slow", 1.0, 2, 1, 2, 256, 512, 1024));
        parallel.addAll(powerLaw("standard", 1e-4, 2, 1, 2, 256, 512, 1024));
        Crossover none = Crossover.find(parallel, "slow", "standard", Mode.FORWARD, Metric.TIME);
        assertEquals(Crossover.Kind.NONE, none.kind());
        assertTrue(none.toString().contains("no crossover ahead"), none.toString());
        assertEquals("not faster, none ahead", none.brief());
    }

    static BenchmarkSetup setup(String label) {
        return new BenchmarkSetup(new dev.etlab.attention.StandardAttention.Config(), label, 64, 4, 1, false, 1, 3, 42);
    }
}
