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
 */
public final class MemoryCap {
    private MemoryCap() {}

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
