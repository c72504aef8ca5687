package dev.etlab.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Benchmark points as CSV, one row per point, with a header (RFC 4180 quoting). Missing values
 * (times of a skipped point, memory not measured) are empty cells, which pandas and Tablesaw read
 * as missing. Child processes report points with the same row format.
 */
public final class BenchmarkCsv {
    private BenchmarkCsv() {}

    /** Column names, in order. */
    public static final List<String> COLUMNS = List.of("mechanism", "mode", "length", "batch", "d_model", "heads",
        "median_ms", "min_ms", "repeats", "peak_rss_bytes", "peak_heap_bytes", "peak_native_bytes", "skipped");

    public static String header() {
        return String.join(",", COLUMNS);
    }

    /** The points as CSV text: the header, then one row per point. */
    public static String format(List<BenchmarkPoint> points) {
        StringBuilder sb = new StringBuilder(header()).append('\n');
        for (BenchmarkPoint p : points) sb.append(row(p)).append('\n');
        return sb.toString();
    }

    /** Writes the points to a file, creating its directory. */
    public static void write(Path file, List<BenchmarkPoint> points) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Files.writeString(file, format(points), StandardCharsets.UTF_8);
    }

    /** Reads a file written by {@link #write}. */
    public static List<BenchmarkPoint> read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** Parses CSV text written by {@link #format}; the header must match {@link #COLUMNS}. */
    public static List<BenchmarkPoint> parse(String csv) {
        List<String> lines = csv.lines().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty() || !cells(lines.get(0)).equals(COLUMNS)) {
            throw new IllegalArgumentException("CSV header = \"" + (lines.isEmpty() ? "" : lines.get(0)) + "\": expected \"" + header() + "\"");
        }
        List<BenchmarkPoint> out = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) out.add(parseRow(lines.get(i)));
        return out;
    }

    /** One point as one CSV row (no line break). */
    public static String row(BenchmarkPoint p) {
        return String.join(",", quote(p.mechanism()), p.mode().label(), Integer.toString(p.length()),
            Integer.toString(p.batch()), Integer.toString(p.dModel()), Integer.toString(p.heads()),
            number(p.medianMillis()), number(p.minMillis()), Integer.toString(p.repeats()),
            bytes(p.peakRssBytes()), bytes(p.peakHeapBytes()), bytes(p.peakNativeBytes()),
            p.skipped() == null ? "" : quote(p.skipped()));
    }

    /** Reads one row written by {@link #row}. */
    public static BenchmarkPoint parseRow(String row) {
        List<String> c = cells(row);
        if (c.size() != COLUMNS.size()) {
            throw new IllegalArgumentException("CSV row \"" + row + "\": expected " + COLUMNS.size() + " cells, found " + c.size());
        }
        try {
            return new BenchmarkPoint(c.get(0), Mode.parse(c.get(1)), Integer.parseInt(c.get(2)), Integer.parseInt(c.get(3)),
                Integer.parseInt(c.get(4)), Integer.parseInt(c.get(5)), parseNumber(c.get(6)), parseNumber(c.get(7)),
                Integer.parseInt(c.get(8)), parseBytes(c.get(9)), parseBytes(c.get(10)), parseBytes(c.get(11)),
                c.get(12).isEmpty() ? null : c.get(12));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("CSV row \"" + row + "\": expected numbers in the numeric columns (" + e.getMessage() + ")", e);
        }
    }

    private static String number(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static double parseNumber(String s) {
        return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
    }

    private static String bytes(long v) {
        return v < 0 ? "" : Long.toString(v);
    }

    private static long parseBytes(String s) {
        return s.isEmpty() ? -1 : Long.parseLong(s);
    }

    private static String quote(String s) {
        boolean needs = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0
            || (!s.isEmpty() && (Character.isWhitespace(s.charAt(0)) || Character.isWhitespace(s.charAt(s.length() - 1))));
        return needs ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    /** Splits one CSV line into cells, undoing {@link #quote}. */
    static List<String> cells(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    cell.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                out.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(ch);
            }
        }
        if (quoted) throw new IllegalArgumentException("CSV line \"" + line + "\": expected a closing quote");
        out.add(cell.toString());
        return out;
    }
}
