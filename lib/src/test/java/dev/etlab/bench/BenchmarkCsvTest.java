package dev.etlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

class BenchmarkCsvTest {

    static final BenchmarkPoint MEASURED = new BenchmarkPoint("longformer (dense mask)", Mode.FORWARD_BACKWARD, 2048, 2, 128, 8,
        812.25, 790.5, 3, 805_306_368L, 2_621_440L, 867_000_000L, null);
    static final BenchmarkPoint SKIPPED = BenchmarkPoint.skipped(SlopeTest.setup("standard"), Mode.FORWARD, 16384,
        "predicted peak 18.3 GiB > cap 12.0 GiB (slope 2.00, \"local\")");
    static final BenchmarkPoint NO_RSS = new BenchmarkPoint("standard", Mode.FORWARD, 256, 1, 64, 4, 1.5, 1.25, 5, -1, 100, 200, null);

    @Test
    void roundTripsMeasuredSkippedAndUnmeasuredValues(@TempDir Path dir) throws Exception {
        List<BenchmarkPoint> points = List.of(MEASURED, SKIPPED, NO_RSS);
        Path file = dir.resolve("sub/points.csv");
        BenchmarkCsv.write(file, points);
        List<BenchmarkPoint> back = BenchmarkCsv.read(file);
        assertEquals(points, back);
        String text = Files.readString(file);
        assertTrue(text.startsWith("mechanism,mode,length,batch,d_model,heads,median_ms,min_ms,repeats,peak_rss_bytes"), text);
        assertTrue(text.contains("standard,forward,16384,1,64,4,,,0,,,,\"predicted peak 18.3 GiB > cap 12.0 GiB (slope 2.00, \"\"local\"\")\""), text);
    }

    @Test
    void rejectsAForeignHeaderAndShortRows() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchmarkCsv.parse("a,b\n1,2\n"));
        assertTrue(e.getMessage().startsWith("CSV header = \"a,b\": expected \"mechanism,mode,"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchmarkCsv.parseRow("standard,forward,256"));
        assertTrue(e.getMessage().contains("expected 13 cells, found 3"), e.getMessage());
    }

    @Test
    void tableHasTheCsvColumnsSeriesAndMibWithMissingValuesForSkippedPoints() {
        Table t = BenchmarkTable.of(List.of(MEASURED, SKIPPED));
        for (String c : BenchmarkCsv.COLUMNS) assertTrue(t.columnNames().contains(c), c);
        assertEquals(2, t.rowCount());
        assertEquals("longformer (dense mask) forward+backward", t.stringColumn("series").get(0));
        assertEquals(768.0, t.doubleColumn("peak_rss_mib").get(0), 1e-9);
        assertTrue(t.doubleColumn("median_ms").isMissing(1));
        assertTrue(t.longColumn("peak_rss_bytes").isMissing(1));
        assertEquals(SKIPPED.skipped(), t.stringColumn("skipped").get(1));
    }

    @Test
    void reportShowsMeasuredValuesAndSkipReasons() {
        String table = BenchmarkReport.table(List.of(MEASURED, SKIPPED));
        assertTrue(table.contains("768.0 MiB"), table);
        assertTrue(table.contains("skipped: predicted peak 18.3 GiB > cap 12.0 GiB"), table);
        assertTrue(MEASURED.summary().contains("T=  2048  median     812.3 ms (min     790.5)  peak RSS  768.0 MiB"), MEASURED.summary());
    }
}
