package dev.etlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.attention.StandardAttention;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad arguments fail early with "param = value: expected ..." messages. */
class ArgumentChecksTest {

    static void fails(String expectedMessageStart, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(expectedMessageStart), "message: " + e.getMessage());
    }

    static AttentionBenchmark standard() {
        return AttentionBenchmark.of(new StandardAttention.Config());
    }

    @Test
    void builderChecks() {
        fails("length = 0: expected a positive sequence length", () -> standard().lengths(256, 0));
        fails("length = -512: expected a positive sequence length", () -> standard().lengths(List.of(256, -512)));
        fails("lengths = [256, 512, 256]: expected no length twice", () -> standard().lengths(256, 512, 256));
        fails("lengths = []: expected at least one length", () -> standard().lengths());
        fails("repeats = 0: expected a positive integer", () -> standard().repeats(0));
        fails("warmups = -1: expected zero or more", () -> standard().warmups(-1));
        fails("memoryCapBytes = 0: expected a positive number of bytes", () -> standard().memoryCapBytes(0));
        fails("heads = 5: expected a divisor of dModel = 64", () -> standard().dims(64, 5));
        fails("dModel = 0: expected a positive integer", () -> standard().dims(0, 4));
        fails("batch = 0: expected a positive integer", () -> standard().batch(0));
        fails("label = \"  \": expected a non-blank name", () -> standard().label("  "));
        fails("timeBudget = PT0S: expected a positive duration", () -> standard().timeBudget(Duration.ZERO));
        fails("modes = []: expected at least one mode", () -> standard().modes());
        fails("attention kind = \"nope\": expected one of [standard", () -> AttentionBenchmark.of("nope"));
        fails("childJvmOption = Xmx2g: expected a JVM option starting with -", () -> standard().childJvmOption("Xmx2g"));
        fails("label = a; b: expected a non-blank name without newlines", () -> standard().label("a; b").setup());
    }

    @Test
    void helpersAndParsers() {
        assertEquals(List.of(256, 512, 1024, 2048), Lengths.doubling(256, 2048));
        assertEquals(List.of(256, 512), Lengths.doubling(256, 1000));
        fails("to = 128: expected a length ≥ from = 256", () -> Lengths.doubling(256, 128));
        fails("from = 0: expected a positive integer", () -> Lengths.doubling(0, 128));
        assertEquals(12 * Bytes.GIB, Bytes.parse("cap", "12g"));
        assertEquals(12 * Bytes.GIB, Bytes.parse("cap", "12 GiB"));
        assertEquals(512 * Bytes.MIB, Bytes.parse("cap", "512MB"));
        assertEquals(1536 * Bytes.MIB, Bytes.parse("cap", "1.5g"));
        assertEquals(1048576, Bytes.parse("cap", "1048576"));
        fails("cap = \"-3g\": expected a positive size", () -> Bytes.parse("cap", "-3g"));
        fails("cap = \"lots\": expected a positive size", () -> Bytes.parse("cap", "lots"));
        assertEquals("18.3 GiB", Bytes.format((long) (18.3 * Bytes.GIB)));
        assertEquals("n/a", Bytes.format(-1));
        assertEquals(Mode.FORWARD_BACKWARD, Mode.parse("forward+backward"));
        assertEquals(Mode.FORWARD_BACKWARD, Mode.parse("FORWARD_BACKWARD"));
        assertEquals(Mode.FORWARD, Mode.parse(" Forward "));
        fails("mode = \"sideways\": expected one of [forward, forward+backward]", () -> Mode.parse("sideways"));
        assertEquals(Isolation.SERIES, Isolation.parse("series"));
        assertEquals(Isolation.IN_PROCESS, Isolation.parse("IN_PROCESS"));
        fails("isolation = \"docker\": expected fresh, series or in-process", () -> Isolation.parse("docker"));
        assertTrue(MemoryCap.machineDefault() >= 256 * Bytes.MIB);
    }

    @Test
    void commandLine() {
        BenchmarkMain.Options o = BenchmarkMain.parse(new String[] {"--attention", "standard", "--from", "512", "--to", "4096",
            "--modes", "forward", "--cap", "6g", "--isolation=series", "--time-budget", "90", "--causal", "true", "--out", "x.csv"});
        assertEquals(List.of(512, 1024, 2048, 4096), o.lengths());
        assertEquals(List.of(Mode.FORWARD), o.modes());
        assertEquals(6 * Bytes.GIB, o.capBytes());
        assertEquals(Isolation.SERIES, o.isolation());
        assertEquals(Duration.ofSeconds(90), o.timeBudget());
        assertTrue(o.causal());
        AttentionBenchmark b = BenchmarkMain.benchmarks(o).get(0);
        assertEquals("standard (causal)", b.setup().label());
        assertEquals(Isolation.FRESH_PROCESS, BenchmarkMain.parse(new String[0]).isolation());
        assertEquals(List.of(100, 300), BenchmarkMain.parse(new String[] {"--lengths", "300,100"}).lengths());

        fails("option = --size: expected one of [--attention", () -> BenchmarkMain.parse(new String[] {"--size", "3"}));
        fails("option --to = (no value): expected a value after it", () -> BenchmarkMain.parse(new String[] {"--to"}));
        fails("attention kind = \"linformer2\": expected one of", () -> BenchmarkMain.parse(new String[] {"--attention", "linformer2"}));
        fails("--lengths = 256: expected not combined with --from/--to",
            () -> BenchmarkMain.parse(new String[] {"--lengths", "256", "--to", "512"}));
        fails("--repeats = \"three\": expected an integer", () -> BenchmarkMain.parse(new String[] {"--repeats", "three"}));
        fails("--causal = yes: expected true or false", () -> BenchmarkMain.parse(new String[] {"--causal", "yes"}));
        fails("--cap = \"0\": expected a positive size", () -> BenchmarkMain.parse(new String[] {"--cap", "0"}));
        fails("option = --to: expected given once", () -> BenchmarkMain.parse(new String[] {"--to", "1", "--to", "2"}));
        fails("argument = \"standard\": expected an option", () -> BenchmarkMain.parse(new String[] {"standard"}));
        fails("repeats = 0: expected a positive integer",
            () -> BenchmarkMain.benchmarks(BenchmarkMain.parse(new String[] {"--repeats", "0"})));
        fails("heads = 3: expected a divisor of dModel = 64",
            () -> BenchmarkMain.benchmarks(BenchmarkMain.parse(new String[] {"--heads", "3"})));
        assertTrue(BenchmarkMain.parse(new String[] {"--help"}).help());
        String usage = BenchmarkMain.usage();
        for (String option : List.of("--attention", "--from", "--to", "--lengths", "--batch", "--dmodel", "--heads", "--causal",
            "--modes", "--warmups", "--repeats", "--seed", "--cap", "--time-budget", "--isolation", "--out",
            dev.etlab.attention.AttentionRegistry.all().stream().map(e -> e.kind()).toList().toString())) {
            assertTrue(usage.contains(option), option);
        }
    }
}
