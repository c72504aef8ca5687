package dev.etlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.attention.StandardAttention;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Child JVMs started from the test JVM's classpath: the protocol, isolation modes and failure reporting. */
class ChildProcessTest {

    static AttentionBenchmark tiny() {
        return AttentionBenchmark.of(new StandardAttention.Config()).warmups(0).repeats(1).quiet();
    }

    @Test
    void oneChildMeasuresASeries() {
        List<BenchmarkPoint> points = tiny().lengths(64, 128).isolation(Isolation.SERIES).run();
        assertEquals(4, points.size());
        for (BenchmarkPoint p : points) {
            assertTrue(p.measured(), p.summary());
            assertTrue(p.medianMillis() > 0, p.summary());
            assertTrue(p.peakNativeBytes() > 0, p.summary());
            assertEquals("standard", p.mechanism());
        }
        assertEquals(List.of(64, 64, 128, 128), points.stream().map(BenchmarkPoint::length).toList());
    }

    @Test
    void freshChildPerPoint() {
        List<BenchmarkPoint> points = tiny().lengths(128).modes(Mode.FORWARD).label("standard (fresh)")
            .isolation(Isolation.FRESH_PROCESS).run();
        assertEquals(1, points.size());
        assertTrue(points.get(0).measured(), points.get(0).summary());
        assertEquals("standard (fresh)", points.get(0).mechanism());
    }

    @Test
    void runningOutOfMemoryInTheChildIsASkippedPointAndLongerLengthsFollow() {
        // a 1 MiB cap puts libnd4j's allocation guard at 1.25 MiB; T = 256 needs about 4 MiB
        List<BenchmarkPoint> points = tiny().lengths(256, 512).modes(Mode.FORWARD).memoryCapBytes(Bytes.MIB)
            .isolation(Isolation.SERIES).run();
        assertFalse(points.get(0).measured());
        assertTrue(points.get(0).skipped().startsWith("out of memory: "), points.get(0).skipped());
        assertTrue(points.get(0).skipped().contains("exceeds HOST device limits"), points.get(0).skipped());
        assertTrue(points.get(1).skipped().startsWith("shorter length 256 failed (out of memory"), points.get(1).skipped());
    }

    @Test
    void aChildThatCannotStartGivesSkippedPointsNotAnException() {
        List<BenchmarkPoint> points = tiny().lengths(64).modes(Mode.FORWARD).childJvmOption("-XX:+NoSuchOptionHere")
            .isolation(Isolation.FRESH_PROCESS).run();
        String reason = points.get(0).skipped();
        assertTrue(reason.startsWith("child JVM did not start: child JVM exited with code 1"), reason);
        assertTrue(reason.contains("NoSuchOptionHere"), reason);
    }
}
