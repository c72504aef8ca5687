package dev.etlab.bench;

import java.util.Locale;

/** Byte counts for people: {@code 18.3 GiB}, and back from {@code 12g}, {@code 512MiB} or a plain number. */
public final class Bytes {
    private Bytes() {}

    public static final long KIB = 1024L;
    public static final long MIB = 1024L * KIB;
    public static final long GIB = 1024L * MIB;

    /** Binary units with one decimal: {@code 512 B}, {@code 3.2 MiB}, {@code 18.3 GiB}; "n/a" for negative (not measured). */
    public static String format(long bytes) {
        if (bytes < 0) return "n/a";
        if (bytes < KIB) return bytes + " B";
        if (bytes < MIB) return String.format(Locale.ROOT, "%.1f KiB", bytes / (double) KIB);
        if (bytes < GIB) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) GIB);
    }

    /** Mebibytes as a double, for tables and plots; NaN when not measured (negative). */
    public static double mib(long bytes) {
        return bytes < 0 ? Double.NaN : bytes / (double) MIB;
    }

    /**
     * Parses {@code 12g}, {@code 12G}, {@code 12GiB}, {@code 1.5g}, {@code 512m}, {@code 64k} or a plain
     * byte count (binary units throughout: g = 2³⁰).
     */
    public static long parse(String param, String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        long unit = 1;
        if (t.endsWith("k")) unit = KIB;
        else if (t.endsWith("m")) unit = MIB;
        else if (t.endsWith("g")) unit = GIB;
        else if (t.endsWith("t")) unit = 1024 * GIB;
        String number = unit == 1 ? t : t.substring(0, t.length() - 1).strip();
        try {
            double v = Double.parseDouble(number);
            if (v > 0 && !Double.isInfinite(v)) return (long) (v * unit);
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(param + " = \"" + text + "\": expected a positive size such as 12g, 512m or 1048576");
    }
}
