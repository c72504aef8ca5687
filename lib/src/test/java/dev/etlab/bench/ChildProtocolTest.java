package dev.etlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChildProtocolTest {

    @Test
    void runCommandsRoundTripTheSetup() {
        BenchmarkSetup setup = new BenchmarkSetup(new dev.etlab.attention.StandardAttention.Config(), "standard (dense mask)",
            128, 8, 2, true, 0, 5, 7);
        ChildProtocol.Run run = new ChildProtocol.Run(setup, Mode.FORWARD_BACKWARD, 4096, 15 * Bytes.GIB);
        String line = ChildProtocol.runCommand(run);
        assertTrue(!line.contains("\n"), line);
        assertEquals(run, ChildProtocol.parseRun(line));
    }

    @Test
    void repliesAreFoundBehindChatterAndDamagedOnesAreIgnored() {
        BenchmarkPoint p = BenchmarkCsvTest.MEASURED;
        String line = ChildProtocol.point(p);
        assertEquals(p, BenchmarkCsv.parseRow(ChildProtocol.parseReply(line).orElseThrow().body()));
        String chatter = "Added differentiated op mmul" + line; // native output without a line break before ours
        assertEquals("point", ChildProtocol.parseReply(chatter).orElseThrow().kind());
        assertEquals(p, BenchmarkCsv.parseRow(ChildProtocol.parseReply(chatter).orElseThrow().body()));
        assertTrue(ChildProtocol.parseReply(line.substring(0, line.length() / 2)).isEmpty());
        assertTrue(ChildProtocol.parseReply("o.n.l.f.Nd4jBackend - Loaded [CpuBackend] backend").isEmpty());
        assertEquals("ready", ChildProtocol.parseReply(ChildProtocol.ready("pid=1")).orElseThrow().kind());
        for (String bad : List.of("run\tFORWARD\t12", "walk\tFORWARD\t12\t0\tx")) {
            assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ChildProtocol.parseRun(bad))
                .getMessage().contains("expected run"));
        }
    }

    @Test
    void childJvmOptionsCopyHeapAndNativeSettingsOnly() {
        List<String> parent = List.of("-Xmx4g", "-Dorg.bytedeco.javacpp.maxbytes=8G", "-Dorg.nd4j.x=1", "-Dfoo=bar",
            "-agentlib:jdwp=transport=dt_socket", "-XX:MaxRAMPercentage=50", "-ea", "--add-modules=jdk.incubator.vector",
            "-Detlab.simd=false");
        // the module flag is not copied from the arguments (either spelling): ofThisJvm adds it from the module layer
        assertEquals(List.of("-Xmx4g", "-Dorg.bytedeco.javacpp.maxbytes=8G", "-Dorg.nd4j.x=1", "-XX:MaxRAMPercentage=50",
                "-Detlab.simd=false"),
            ChildJvm.inheritedOptions(parent));
        ChildJvm jvm = ChildJvm.ofThisJvm(List.of("-Xss2m"), java.util.Map.of("X", "1"), 5 * Bytes.GIB);
        assertEquals("1", jvm.environment().get("MALLOC_ARENA_MAX"));
        assertEquals("1", jvm.environment().get("X"));
        List<String> cmd = jvm.command();
        assertEquals(ChildJvm.MAIN, cmd.get(cmd.size() - 1));
        assertTrue(cmd.contains("-Xss2m"), cmd.toString());
        // surefire starts this JVM with jdk.incubator.vector (lib/pom.xml): children get it once, in one token
        assertTrue(dev.etlab.Simd.moduleLoaded());
        assertEquals(1, cmd.stream().filter(ChildJvm.ADD_VECTOR_MODULE::equals).count(), cmd.toString());
        assertTrue(cmd.indexOf(ChildJvm.ADD_VECTOR_MODULE) < cmd.indexOf("-cp"), cmd.toString());
        // surefire passes -Dorg.bytedeco.javacpp.maxphysicalbytes=12G: inherited, not replaced
        assertEquals(java.util.OptionalLong.of(12 * Bytes.GIB), MemoryCap.physicalLimit(jvm.jvmOptions()));
        assertEquals(java.util.OptionalLong.of(3 * Bytes.GIB), MemoryCap.physicalLimit(List.of("-Dorg.bytedeco.javacpp.maxPhysicalBytes=3g")));
        assertTrue(MemoryCap.physicalLimit(List.of("-Dorg.bytedeco.javacpp.maxphysicalbytes=0")).isEmpty());
    }
}
