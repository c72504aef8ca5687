package dev.etlab.bench;

import dev.etlab.Lab;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Entry point of a benchmark child JVM (started by the harness, not by people): reads
 * {@link ChildProtocol} commands on stdin, measures each point in this process with memory
 * tracking reset before it ({@link PointMeasurer}), and answers on stdout. Everything else that
 * Java code prints to stdout is sent to stderr, so the protocol has stdout nearly to itself.
 */
public final class BenchmarkChild {
    private BenchmarkChild() {}

    public static void main(String[] args) throws IOException {
        PrintStream protocol = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        Lab.init();
        Nd4j.create(DataType.FLOAT, 16).addi(1); // backend up before the first measurement
        boolean exactRss = ProcStatus.resetPeak();
        protocol.println(ChildProtocol.ready("pid=" + ProcessHandle.current().pid() + " rss-peak=" + (exactRss ? "clear_refs" : "sampled")
            + " nd4j-memory=" + NativeMemory.source().replace(' ', '_')));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null && !line.strip().equals(ChildProtocol.EXIT); line = in.readLine()) {
            if (line.isBlank()) continue;
            protocol.println(ChildProtocol.point(measure(line)));
        }
        protocol.flush();
        System.exit(0); // ND4J's non-daemon threads must not keep the child alive
    }

    private static BenchmarkPoint measure(String command) {
        ChildProtocol.Run run = ChildProtocol.parseRun(command);
        if (run.nativeLimitBytes() > 0) NativeMemory.limit(run.nativeLimitBytes());
        return PointMeasurer.measure(run.setup(), run.mode(), run.length());
    }
}
