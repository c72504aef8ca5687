package dev.etlab.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The default memory cap: the largest predicted peak (above a point's baseline) a benchmark point
 * may have before it is skipped. Half the machine's physical memory (as the JVM sees it, which
 * respects container limits), and at most 80% of the memory available when the benchmark starts,
 * so a busy machine gets a lower cap.
 *
 * <p>JavaCPP's physical-memory limit ({@code -Dorg.bytedeco.javacpp.maxphysicalbytes}, default
 * 4 × -Xmx) binds too: once the process's resident memory exceeds it, JavaCPP forces garbage
 * collections and then throws OutOfMemoryError. When this JVM sets it, children inherit it and the
 * default cap stays {@value #CHILD_BASELINE_MIB} MiB below it (a child's own baseline); when it
 * does not, children get a limit above the cap instead ({@link ChildJvm}).
 */
public final class MemoryCap {
    private MemoryCap() {}

    /** Room left for a child JVM's own resident memory (JVM, ND4J's libraries) under a physical limit. */
    static final long CHILD_BASELINE_MIB = 1024;

    private static final String PHYSICAL_LIMIT = "-Dorg.bytedeco.javacpp.maxphysicalbytes=";

    /** The default cap for benchmarks run with this isolation from this JVM. */
    public static long defaultFor(Isolation isolation) {
        long cap = machineDefault();
        if (isolation == Isolation.IN_PROCESS) {
            long limit = org.bytedeco.javacpp.Pointer.maxPhysicalBytes();
            long resident = ProcStatus.read().map(ProcStatus.Rss::currentBytes).orElse(0L);
            if (limit > 0) cap = Math.min(cap, limit - resident);
        } else {
            OptionalLong limit = physicalLimit(ChildJvm.inheritedOptions(
                java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()));
            if (limit.isPresent()) cap = Math.min(cap, limit.getAsLong() - CHILD_BASELINE_MIB * Bytes.MIB);
        }
        return Math.max(cap, 256 * Bytes.MIB);
    }

    /** JavaCPP's physical-memory limit set among these JVM options, if any (0 means none). */
    static OptionalLong physicalLimit(java.util.List<String> jvmOptions) {
        for (String o : jvmOptions) {
            if (o.regionMatches(true, 0, PHYSICAL_LIMIT, 0, PHYSICAL_LIMIT.length())) {
                String value = o.substring(PHYSICAL_LIMIT.length());
                if (value.strip().equals("0")) return OptionalLong.empty();
                try {
                    return OptionalLong.of(Bytes.parse("maxphysicalbytes", value));
                } catch (IllegalArgumentException unreadable) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    /** The default cap for this machine, now. */
    public static long machineDefault() {
        long physical = physicalBytes();
        long cap = physical > 0 ? physical / 2 : 4 * Bytes.GIB;
        OptionalLong available = availableBytes();
        if (available.isPresent()) cap = Math.min(cap, (long) (available.getAsLong() * 0.8));
        return Math.max(cap, 256 * Bytes.MIB);
    }

    /** Total physical memory, or -1 when the JVM cannot tell. */
    static long physicalBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1;
    }

    /** MemAvailable from {@code /proc/meminfo} (Linux). */
    static OptionalLong availableBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return OptionalLong.empty();
    }
}
