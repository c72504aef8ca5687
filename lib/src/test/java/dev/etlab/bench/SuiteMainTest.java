package dev.etlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Every member of every suite builds and measures a point (in this JVM, at a small length). */
class SuiteMainTest {

    @Test
    void everySuiteMemberMeasuresAPoint() {
        for (String suite : SuiteMain.SUITES.keySet()) {
            BenchmarkMain.Options o = BenchmarkMain.parse(new String[] {"--lengths", "128", "--modes", "forward+backward",
                "--warmups", "0", "--repeats", "1", "--isolation", "in-process", "--quiet"});
            List<AttentionBenchmark> benchmarks = SuiteMain.benchmarks(suite, o);
            assertEquals(SuiteMain.SUITES.get(suite).size(), benchmarks.size(), suite);
            for (BenchmarkPoint p : AttentionBenchmark.runAll(benchmarks.toArray(AttentionBenchmark[]::new)))
                assertTrue(p.measured() && p.medianMillis() > 0, suite + ": " + p);
        }
    }
}
