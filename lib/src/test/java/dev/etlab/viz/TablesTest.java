package dev.etlab.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

class TablesTest {

    static Table sample(int rows) {
        IntColumn n = IntColumn.create("length");
        DoubleColumn ms = DoubleColumn.create("ms");
        StringColumn mech = StringColumn.create("mechanism");
        for (int i = 0; i < rows; i++) {
            n.append(256 << i);
            ms.append(0.0123456 * Math.pow(4, i));
            mech.append(i % 2 == 0 ? "standard" : "<linear>");
        }
        return Table.create("timings", mech, n, ms);
    }

    @Test
    void numbersReadWell() {
        assertEquals("16384", Tables.format(16384.0));
        assertEquals("1.97", Tables.format(1.97));
        assertEquals("0.9731", Tables.format(0.97312));
        assertEquals("123.5", Tables.format(123.456));
        assertEquals("12345.7", Tables.format(12345.678));
        assertEquals("1.235e-04", Tables.format(0.00012345));
        assertEquals("", Tables.format(Double.NaN));
        assertEquals("0", Tables.format(0.0));
        assertEquals("-2.5", Tables.format(-2.5));
        assertEquals("", Tables.format((Object) null));
        assertEquals("≈2", Tables.format((Object) "≈2"));
    }

    @Test
    void htmlIsEscapedAlignedAndLimited() {
        String html = Tables.html(sample(30), 5);
        assertTrue(html.startsWith("<table"));
        assertTrue(html.contains("&lt;linear&gt;"));
        assertFalse(html.contains("<linear>"));
        assertTrue(html.contains("… 25 more rows (30 in all)"));
        assertEquals(5 + 2, html.split("<tr").length - 1, "header + 5 rows + the 'more' row");
        assertTrue(html.contains("<caption"));
        assertTrue(html.contains("text-align:right;font-variant-numeric:tabular-nums\">0.0123"));
    }

    @Test
    void textIsAligned() {
        String text = Tables.text(sample(3), 10);
        String[] lines = text.split("\n");
        assertEquals("timings", lines[0]);
        assertTrue(lines[1].startsWith("mechanism"));
        assertTrue(lines[2].matches("-+  -+  -+"), lines[2]);
        // numbers right-aligned: every row's last column ends at the same place
        int end = lines[3].length();
        assertEquals(end, lines[4].length());
        assertEquals(end, lines[5].length());
    }

    @Test
    void comparisonTable() {
        Tables.Comparison c = Tables.comparison("Linformer: ours vs paper").atTestSizes(false)
            .row("time slope, standard", 1.9712, "2 (O(n²))", Tables.Verdict.near(1.9712, 2, 0.3), "forward, n = 256…8192")
            .row("time slope, linformer", 1.04, 1, Tables.Verdict.NOT_REPRODUCED)
            .ours("needle accuracy", 0.884375000001, "the paper reports LRA ListOps, another task");
        Table t = c.table();
        assertEquals(3, t.rowCount());
        assertEquals(java.util.List.of("quantity", "ours", "paper", "verdict", "note"), t.columnNames());
        assertEquals("1.971", t.stringColumn("ours").get(0));
        assertEquals("1", t.stringColumn("paper").get(1));
        assertEquals("", t.stringColumn("note").get(1));
        assertEquals(java.util.List.of("reproduced", "not reproduced", "not comparable"), c.verdicts());
        assertEquals("0.8844", t.stringColumn("ours").get(2));
        assertEquals("—", t.stringColumn("paper").get(2));
        assertTrue(c.html().contains("O(n²)"));
        assertTrue(c.text().contains("time slope, linformer"));
    }

    @Test
    void measuredVerdictsAtTestSizesReadNotComparable() {
        Tables.Comparison c = Tables.comparison("quick").atTestSizes(true)
            .row("slope", 1.0, 1, Tables.Verdict.REPRODUCED)
            .row("speed-up", 0.5, 3, Tables.Verdict.NOT_REPRODUCED)
            .row("other task", 0.9, 0.4, Tables.Verdict.NOT_COMPARABLE);
        assertEquals(java.util.List.of(Tables.Comparison.AT_TEST_SIZES, Tables.Comparison.AT_TEST_SIZES, "not comparable"), c.verdicts());
    }

    @Test
    void verdicts() {
        assertEquals(Tables.Verdict.REPRODUCED, Tables.Verdict.near(1.1, 1, 0.2));
        assertEquals(Tables.Verdict.NOT_REPRODUCED, Tables.Verdict.near(1.5, 1, 0.2));
        assertEquals(Tables.Verdict.NOT_COMPARABLE, Tables.Verdict.near(Double.NaN, 1, 0.2));
        assertEquals(Tables.Verdict.REPRODUCED, Tables.Verdict.of(true));
        assertEquals("not comparable", Tables.Verdict.NOT_COMPARABLE.toString());
    }
}
