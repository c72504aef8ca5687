package dev.etlab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * This process's resident memory as Linux reports it in {@code /proc/self/status}: the current
 * resident set (VmRSS) and its high-water mark (VmHWM). Writing {@code 5} to
 * {@code /proc/self/clear_refs} resets the high-water mark to the current resident set, which is
 * what lets one process measure the peak of one piece of work after another.
 */
final class ProcStatus {
    private ProcStatus() {}

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");
    private static final Path STATM = Path.of("/proc/self/statm");
    private static final long PAGE_BYTES = 4096;

    /** Current and peak resident bytes. */
    record Rss(long currentBytes, long peakBytes) {}

    /** This process's resident memory, or empty where {@code /proc} is not available. */
    static Optional<Rss> read() {
        try {
            return Optional.of(parse(Files.readString(STATUS)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Parses the VmRSS and VmHWM lines (in kB) of a {@code /proc/<pid>/status} text. */
    static Rss parse(String status) {
        long rss = -1;
        long hwm = -1;
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) rss = kilobytes(line);
            else if (line.startsWith("VmHWM:")) hwm = kilobytes(line);
        }
        if (rss < 0 || hwm < 0) throw new IllegalArgumentException("status text: expected VmRSS and VmHWM lines");
        return new Rss(rss, hwm);
    }

    private static long kilobytes(String line) {
        String[] parts = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
        return Long.parseLong(parts[0]) * 1024;
    }

    /**
     * Current resident bytes from {@code /proc/self/statm} (cheaper to read than status; used when
     * the peak cannot be reset and has to be sampled instead). -1 where unavailable.
     */
    static long currentFromStatm() {
        try {
            String[] f = Files.readString(STATM).trim().split("\\s+");
            return Long.parseLong(f[1]) * PAGE_BYTES;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Resets VmHWM to the current VmRSS; false where the kernel does not allow it. */
    static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
