package dev.etlab.viz;

import dev.etlab.bench.Metric;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.bench.Mode;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

class ChartsTest {

    @Test
    void headlessRenderingWorks() {
        Style.ensureHeadless();
        BufferedImage img = Charts.toImage(Charts.line("t", "x", "y", "standard", new double[] {1, 2}, new double[] {3, 4}));
        assertEquals(Style.WIDTH, img.getWidth());
        assertEquals(Style.HEIGHT, img.getHeight());
    }

    @Test
    void complexityLegendCarriesExactSlopes() throws Exception {
        ComplexityChart c = Charts.complexity(VizFixtures.powerLaws(), Metric.TIME, Mode.FORWARD);
        Map<String, XYSeries> s = c.getSeriesMap();
        assertTrue(s.containsKey("standard — slope 2.00"), s.keySet().toString());
        assertTrue(s.containsKey("linformer — slope 1.00"), s.keySet().toString());
        assertEquals(2.0, c.slopes().get("standard"), 1e-9);
        assertEquals(1.0, c.slopes().get("linformer"), 1e-9);
        assertEquals(1.0, c.fitQuality().get("standard"), 1e-9);
        assertTrue(s.containsKey("O(n) guide"));
        assertTrue(s.containsKey("O(n²) guide"));
        // standard is listed first, whatever the input order
        assertTrue(s.keySet().iterator().next().startsWith("standard"));
        assertEquals("Skipped: standard n=16384 (predicted 18 GiB > cap)", c.caption());
        assertEquals(1, c.skipped().size());
        assertEquals("ms", c.unit());
        assertTrue(c.getTitle().startsWith("Forward time vs sequence length (B=4, d=128, h=4)"), c.getTitle());
        Path png = Charts.save(c, VizFixtures.out("complexity-time.png"));
        assertPng(png, Style.WIDTH, Style.HEIGHT);
    }

    @Test
    void guidesStayInsideTheDataRange() {
        ComplexityChart c = Charts.complexity(VizFixtures.powerLaws(), Metric.TIME, Mode.FORWARD,
            ComplexityChart.options().guides(Guide.values()));
        double max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY;
        for (XYSeries s : c.getSeriesMap().values()) {
            if (s.getName().endsWith("guide")) continue;
            for (double y : s.getYData()) {
                max = Math.max(max, y);
                min = Math.min(min, y);
            }
        }
        int guides = 0;
        for (XYSeries s : c.getSeriesMap().values()) {
            if (!s.getName().endsWith("guide")) continue;
            guides++;
            for (double y : s.getYData()) {
                assertTrue(y <= max * 1.5 + 1e-9 && y >= min / 4, s.getName() + " leaves the data range: " + y);
            }
        }
        assertEquals(4, guides);
    }

    @Test
    void memoryChartPicksFieldAndUnit() throws Exception {
        ComplexityChart rss = Charts.complexity(VizFixtures.powerLaws(), Metric.MEMORY, Mode.FORWARD);
        assertEquals("MiB", rss.unit());
        assertTrue(rss.getYAxisTitle().contains("peak RSS"), rss.getYAxisTitle());
        assertEquals(2.0, rss.slopes().get("standard"), 1e-9);
        ComplexityChart nat = Charts.complexity(VizFixtures.powerLaws(), Metric.MEMORY, Mode.FORWARD,
            ComplexityChart.options().memory(MemoryField.NATIVE).crossover(1024));
        assertTrue(nat.getYAxisTitle().contains("peak native"));
        assertTrue(nat.getSeriesMap().containsKey("crossover n≈1K"), nat.getSeriesMap().keySet().toString());
        assertPng(Charts.save(nat, VizFixtures.out("complexity-memory.png")), Style.WIDTH, Style.HEIGHT);
    }

    @Test
    void complexityWithoutMeasuredPointsStillRenders() {
        ComplexityChart c = Charts.complexity(List.of(VizFixtures.skipped("standard", Mode.FORWARD, 8192, "over cap")),
            Metric.TIME, Mode.FORWARD);
        assertTrue(c.slopes().isEmpty());
        assertFalse(c.caption().isEmpty());
        assertNotNull(Charts.toImage(c));
    }

    @Test
    void singlePointGetsNoSlope() {
        ComplexityChart c = Charts.complexity(List.of(VizFixtures.point("performer", Mode.FORWARD, 512, 3.0, 1 << 20)),
            Metric.TIME, Mode.FORWARD);
        assertTrue(c.getSeriesMap().containsKey("performer (one point)"));
        assertTrue(Double.isNaN(c.slopes().get("performer")));
        assertNotNull(Charts.toImage(c));
    }

    @Test
    void barsAndLines() throws Exception {
        Map<String, Double> acc = new LinkedHashMap<>();
        acc.put("standard", 0.912);
        acc.put("linformer", 0.884);
        acc.put("performer", 0.871);
        CategoryChart bars = Charts.accuracyBars(acc);
        assertEquals(3, bars.getSeriesMap().size());
        assertPng(Charts.save(bars, VizFixtures.out("accuracy-bars.png")), Style.WIDTH, Style.HEIGHT);

        Map<String, double[]> grouped = new LinkedHashMap<>();
        grouped.put("longformer", new double[] {0.71, 0.80, 0.86});
        grouped.put("bigbird", new double[] {0.69, 0.82, Double.NaN});
        CategoryChart g = Charts.groupedBars("Accuracy vs window size", "window", "accuracy", List.of("16", "32", "64"), grouped);
        assertPng(Charts.save(g, VizFixtures.out("grouped-bars.png")), Style.WIDTH, Style.HEIGHT);

        XYChart line = Charts.xy("Accuracy vs window", "window", "accuracy");
        Charts.line(line, "longformer", new double[] {16, 32, 64}, new double[] {0.71, 0.8, 0.86});
        assertPng(Charts.save(line, VizFixtures.out("line.png")), Style.WIDTH, Style.HEIGHT);
    }

    @Test
    void standardKeepsItsColourEverywhere() {
        assertEquals(Style.STANDARD, Style.colorFor("standard"));
        assertEquals(Style.STANDARD, Style.colorFor("Standard "));
        assertEquals(Style.colorFor("some new method"), Style.colorFor("some new method"));
        assertFalse(Style.colorFor("another new method").equals(Style.colorFor("some new method")));
        assertFalse(Style.colorFor("longformer (dense mask)").equals(Style.colorFor("longformer")));
    }

    static void assertPng(Path file, int w, int h) throws Exception {
        assertTrue(Files.exists(file), file + " missing");
        byte[] head = new byte[8];
        try (var in = Files.newInputStream(file)) {
            assertEquals(8, in.read(head));
        }
        assertEquals((byte) 0x89, head[0]);
        assertEquals('P', head[1]);
        assertEquals('N', head[2]);
        assertEquals('G', head[3]);
        BufferedImage img = VizFixtures.read(file);
        assertEquals(w, img.getWidth());
        assertEquals(h, img.getHeight());
    }
}
