package dev.etlab.viz;

import java.util.ArrayList;
import java.util.List;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * Tablesaw tables for people: compact HTML for notebooks, aligned text for consoles, numbers
 * formatted the same way in both, and the "ours vs the paper" table every notebook ends with.
 *
 * <pre>{@code
 * Notebook.show(history.table());                 // HTML in a notebook, text on a console (20 rows)
 * System.out.println(Tables.text(table, 10));      // aligned text, first 10 rows
 * Tables.comparison("Linformer, ours vs paper")
 *     .row("time slope, standard", 1.97, "2 (O(n²))", Verdict.near(1.97, 2, 0.3), "n = 256…4096, forward")
 *     .row("time slope, linformer", 1.04, "1 (O(n))", Verdict.REPRODUCED, "")
 *     .ours("needle accuracy", 0.93, "the paper reports LRA ListOps: another task")
 *     .show();
 * }</pre>
 */
public final class Tables {
    private Tables() {}

    /** Rows shown when no limit is given. */
    public static final int DEFAULT_ROWS = 20;

    /**
     * A number as people read it: integers without decimals, four significant digits otherwise,
     * scientific notation for very small or very large values, "" for NaN.
     */
    public static String format(double v) {
        return Numbers.format(v);
    }

    /** Formats any cell value: numbers via {@link #format(double)}, null as "". */
    public static String format(Object v) {
        if (v == null) return "";
        if (v instanceof Double || v instanceof Float) return format(((Number) v).doubleValue());
        if (v instanceof Number n) return n.toString();
        return v.toString();
    }

    private static String cell(Column<?> c, int row) {
        if (c.isMissing(row)) return "";
        if (c instanceof NumericColumn<?> n) {
            double d = n.getDouble(row);
            return format(d);
        }
        return c.getString(row);
    }

    private static boolean numeric(Column<?> c) {
        return c instanceof NumericColumn<?>;
    }

    /** The table as a compact HTML table with the first {@link #DEFAULT_ROWS} rows. */
    public static String html(Table t) {
        return html(t, DEFAULT_ROWS);
    }

    /**
     * The table as a compact HTML table: caption from the table's name, numbers right-aligned in
     * tabular figures, and a last line "… N more rows" when it has more than {@code maxRows}.
     */
    public static String html(Table t, int maxRows) {
        int shown = Math.min(t.rowCount(), Math.max(0, maxRows));
        StringBuilder sb = new StringBuilder(256 + shown * t.columnCount() * 24);
        sb.append("<table style=\"border-collapse:collapse;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;"
            + "font-size:13px;margin:4px 0\">");
        String name = t.name();
        if (name != null && !name.isBlank()) {
            sb.append("<caption style=\"caption-side:top;text-align:left;font-weight:600;padding:2px 6px\">")
                .append(escape(name)).append("</caption>");
        }
        sb.append("<thead><tr>");
        for (Column<?> c : t.columns()) {
            sb.append("<th style=\"padding:3px 10px;border-bottom:2px solid #555;text-align:")
                .append(numeric(c) ? "right" : "left").append("\">").append(escape(c.name())).append("</th>");
        }
        sb.append("</tr></thead><tbody>");
        for (int r = 0; r < shown; r++) {
            sb.append(r % 2 == 1 ? "<tr style=\"background:#f4f6f8\">" : "<tr>");
            for (Column<?> c : t.columns()) {
                boolean num = numeric(c);
                sb.append("<td style=\"padding:2px 10px;border-bottom:1px solid #e3e3e3;text-align:")
                    .append(num ? "right;font-variant-numeric:tabular-nums" : "left").append("\">")
                    .append(escape(cell(c, r))).append("</td>");
            }
            sb.append("</tr>");
        }
        if (shown < t.rowCount()) {
            sb.append("<tr><td colspan=\"").append(t.columnCount())
                .append("\" style=\"padding:2px 10px;color:#777;font-style:italic\">… ")
                .append(more(t.rowCount() - shown, t.rowCount())).append("</td></tr>");
        }
        sb.append("</tbody></table>");
        return sb.toString();
    }

    /** The table as aligned text with the first {@link #DEFAULT_ROWS} rows. */
    public static String text(Table t) {
        return text(t, DEFAULT_ROWS);
    }

    /** The table as aligned monospace text: numbers right-aligned, a rule under the header. */
    public static String text(Table t, int maxRows) {
        int shown = Math.min(t.rowCount(), Math.max(0, maxRows));
        int cols = t.columnCount();
        String[][] cells = new String[shown + 1][cols];
        int[] width = new int[cols];
        boolean[] right = new boolean[cols];
        for (int j = 0; j < cols; j++) {
            Column<?> c = t.column(j);
            right[j] = numeric(c);
            cells[0][j] = c.name();
            for (int r = 0; r < shown; r++) cells[r + 1][j] = cell(c, r);
            for (int r = 0; r <= shown; r++) width[j] = Math.max(width[j], cells[r][j].length());
        }
        StringBuilder sb = new StringBuilder();
        if (t.name() != null && !t.name().isBlank()) sb.append(t.name()).append('\n');
        for (int r = 0; r <= shown; r++) {
            StringBuilder line = new StringBuilder();
            for (int j = 0; j < cols; j++) {
                if (j > 0) line.append("  ");
                String s = cells[r][j];
                String pad = " ".repeat(width[j] - s.length());
                line.append(right[j] ? pad + s : s + pad);
            }
            sb.append(stripRight(line)).append('\n');
            if (r == 0) {
                StringBuilder rule = new StringBuilder();
                for (int j = 0; j < cols; j++) {
                    if (j > 0) rule.append("  ");
                    rule.append("-".repeat(width[j]));
                }
                sb.append(rule).append('\n');
            }
        }
        if (shown < t.rowCount()) {
            sb.append("… ").append(more(t.rowCount() - shown, t.rowCount())).append('\n');
        }
        return sb.toString();
    }

    private static String more(int hidden, int all) {
        return hidden + (hidden == 1 ? " more row (" : " more rows (") + all + " in all)";
    }

    private static String stripRight(StringBuilder s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == ' ') end--;
        return s.substring(0, end);
    }

    static String escape(String s) {
        if (s == null) return "";
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }

    /** Starts a "quantity | ours | paper | verdict | note" table. */
    public static Comparison comparison(String title) {
        return new Comparison(title);
    }

    /**
     * The verdict on one row of a closing table: does our figure reproduce the paper's? A paper
     * figure that does not measure the same thing as ours (another task, another metric, another
     * scale) is {@link #NOT_COMPARABLE}, whatever the numbers.
     */
    public enum Verdict {
        REPRODUCED("reproduced"),
        NOT_REPRODUCED("not reproduced"),
        NOT_COMPARABLE("not comparable");

        private final String text;

        Verdict(String text) {
            this.text = text;
        }

        /** {@link #REPRODUCED} when the paper's claim held in our measurement, else {@link #NOT_REPRODUCED}. */
        public static Verdict of(boolean held) {
            return held ? REPRODUCED : NOT_REPRODUCED;
        }

        /**
         * {@link #REPRODUCED} when {@code ours} is within {@code tolerance} of {@code paper},
         * {@link #NOT_REPRODUCED} when it is not, {@link #NOT_COMPARABLE} when ours was not measured (NaN).
         */
        public static Verdict near(double ours, double paper, double tolerance) {
            if (!Double.isFinite(ours)) return NOT_COMPARABLE;
            return of(Math.abs(ours - paper) <= tolerance);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /**
     * The table that closes each notebook: what we measured next to what the paper reports, and a
     * verdict. Values may be numbers (formatted with {@link #format(double)}) or text such as "≈2 (O(n²))".
     */
    public static final class Comparison {
        private final String title;
        private final List<String[]> rows = new ArrayList<>();
        private boolean testSizes = dev.etlab.Lab.quick();

        private Comparison(String title) {
            this.title = title;
        }

        /**
         * Whether ours were measured at test sizes (default: {@link dev.etlab.Lab#quick()}). Then a
         * verdict of reproduced or not reproduced reads {@link #AT_TEST_SIZES} instead: a slope or a
         * speed-up measured at quick-mode sizes says nothing about the paper's claim. Set it before adding rows.
         */
        public Comparison atTestSizes(boolean testSizes) {
            this.testSizes = testSizes;
            return this;
        }

        /** The verdict cell of a reproduced / not reproduced row when ours were measured at test sizes. */
        public static final String AT_TEST_SIZES = "not comparable (quick mode: test sizes)";

        /**
         * Adds a row; {@code ours} and {@code paper} may be numbers or strings, {@code note} may be null.
         * A paper figure of another quantity than ours takes {@link Verdict#NOT_COMPARABLE}.
         */
        public Comparison row(String quantity, Object ours, Object paper, Verdict verdict, String note) {
            String judged = verdict == null ? "" : testSizes && verdict != Verdict.NOT_COMPARABLE ? AT_TEST_SIZES : verdict.toString();
            rows.add(new String[] {quantity, format(ours), format(paper), judged, note == null ? "" : note});
            return this;
        }

        /** Adds a row without a note. */
        public Comparison row(String quantity, Object ours, Object paper, Verdict verdict) {
            return row(quantity, ours, paper, verdict, null);
        }

        /** Adds a row without a verdict (its cell stays empty); prefer {@link #row(String, Object, Object, Verdict, String)}. */
        @Deprecated
        public Comparison row(String quantity, Object ours, Object paper, String note) {
            return row(quantity, ours, paper, (Verdict) null, note);
        }

        /** Adds a row of ours alone, with no figure in the paper to set it beside ({@link Verdict#NOT_COMPARABLE}). */
        public Comparison ours(String quantity, Object ours, String note) {
            return row(quantity, ours, "—", Verdict.NOT_COMPARABLE, note);
        }

        /** The verdicts given so far, in row order ("" for none). */
        public List<String> verdicts() {
            List<String> v = new ArrayList<>();
            for (String[] r : rows) v.add(r[3]);
            return v;
        }

        /** The rows as a Tablesaw table with string columns quantity, ours, paper, verdict, note. */
        public Table table() {
            StringColumn q = StringColumn.create("quantity"), o = StringColumn.create("ours"),
                p = StringColumn.create("paper"), v = StringColumn.create("verdict"), n = StringColumn.create("note");
            for (String[] r : rows) {
                q.append(r[0]);
                o.append(r[1]);
                p.append(r[2]);
                v.append(r[3]);
                n.append(r[4]);
            }
            return Table.create(title == null ? "" : title, q, o, p, v, n);
        }

        /** HTML for a notebook. */
        public String html() {
            return Tables.html(table(), Integer.MAX_VALUE);
        }

        /** Aligned text for a console. */
        public String text() {
            return Tables.text(table(), Integer.MAX_VALUE);
        }

        /** Shows it (HTML in a notebook, text on the console). */
        public void show() {
            Notebook.table(table(), Integer.MAX_VALUE);
        }

        @Override
        public String toString() {
            return text();
        }
    }
}
