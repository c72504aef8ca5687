package dev.etlab.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.bench.BenchmarkPoint;
import dev.etlab.bench.Crossover;
import dev.etlab.bench.Metric;
import dev.etlab.bench.Mode;
import java.lang.reflect.Method;
import java.text.Format;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** What every chart gets before it is drawn: readable ticks and labels, fitted titles, markers for single points, crossovers. */
@Timeout(60)
class TidyTest {

    // ------------------------------------------------------------------ reading XChart's own tick labels

    private static Object call(Object o, String name) throws Exception {
        for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(name) && m.getParameterCount() == 0) {
                    m.setAccessible(true);
                    return m.invoke(o);
                }
            }
        }
        throw new NoSuchMethodException(name);
    }

    /** The tick labels XChart drew on an axis ("getXAxis" or "getYAxis"), nulls (unlabelled ticks) dropped. */
    @SuppressWarnings("unchecked")
    static List<String> tickLabels(Chart<?, ?> chart, String axis) throws Exception {
        Charts.toImage(chart);
        Object calc = call(call(call(chart, "getAxisPair"), axis), "getAxisTickCalculator");
        List<String> out = new ArrayList<>();
        for (String s : (List<String>) call(calc, "getTickLabels")) if (s != null) out.add(s);
        return out;
    }

    static void assertReadable(List<String> labels) {
        for (String s : labels) {
            assertFalse(s.contains(","), "separator in " + labels);
            String digits = s.replaceAll("[^0-9]", "").replaceFirst("^0+", "").replaceFirst("0+$", "");
            assertTrue(digits.length() <= 4, "too many significant digits in '" + s + "' of " + labels);
        }
    }

    // ------------------------------------------------------------------ ticks and labels

    @Test
    void equallySpacedFractionsGetRoundTicks() throws Exception {
        double[] x = new double[32], y = new double[32];
        for (int i = 0; i < 32; i++) {
            x[i] = (i + 1) / 32.0;
            y[i] = Math.sqrt(x[i]);
        }
        XYChart c = Charts.line("Normalised cumulative singular value", "fraction kept", "share", "trained", x, y);
        List<String> labels = tickLabels(c, "getXAxis");
        assertFalse(labels.contains(".21875") || labels.contains("0.21875") || labels.contains(".03125"), labels.toString());
        assertTrue(labels.contains("0.5"), labels.toString());
        assertReadable(labels);
        assertReadable(tickLabels(c, "getYAxis"));
    }

    @Test
    void twoUnroundValuesDoNotBecomeTheTicks() throws Exception {
        XYChart c = Charts.xy("accuracy vs window", "w", "accuracy");
        Charts.line(c, "standard", new double[] {2, 6}, new double[] {0.09765625, 0.09765625});
        Charts.line(c, "majority class", new double[] {2, 6}, new double[] {0.140625, 0.140625});
        List<String> y = tickLabels(c, "getYAxis");
        assertFalse(y.contains("0.09766") || y.contains("0.14062") || y.contains("0.1406"), y.toString());
        assertReadable(y);
        assertTrue(y.size() >= 3, y.toString());
    }

    @Test
    void longCategoryNamesAreSlanted() {
        Map<String, Double> acc = new LinkedHashMap<>();
        for (String k : List.of("standard", "longformer w=4 + global [CLS]", "longformer w=4, no global", "majority class")) acc.put(k, 0.1);
        CategoryChart c = Charts.accuracyBars(acc);
        Charts.toImage(c);
        assertTrue(c.getStyler().getXAxisLabelRotation() != 0);
        CategoryChart d = Charts.accuracyBars(Map.of("a", 0.1, "b", 0.2));
        Charts.toImage(d);
        assertEquals(0, d.getStyler().getXAxisLabelRotation());
    }

    @Test
    void thousandsHaveNoSeparatorsAndNarrowLogAxesAreLabelled() throws Exception {
        XYChart c = Charts.xy("time", "n", "ms");
        Charts.line(c, "standard", new double[] {300, 600, 1200}, new double[] {1969.18, 2500, 3800});
        c.getStyler().setYAxisLogarithmic(true);
        List<String> labels = tickLabels(c, "getYAxis");
        assertTrue(labels.size() >= 2, "a log axis inside one decade still gets labels: " + labels);
        assertReadable(labels);
        assertTrue(labels.contains("1000") && labels.contains("10000"), labels.toString());
    }

    @Test
    void wideLogAxesKeepDecadeLabels() throws Exception {
        XYChart c = Charts.xy("error", "m", "error");
        Charts.line(c, "orthogonal", new double[] {4, 16, 64, 256, 1024}, new double[] {0.9, 0.4, 0.2, 0.1, 0.05});
        c.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
        List<String> x = tickLabels(c, "getXAxis");
        assertTrue(x.contains("10") && x.contains("100") && x.contains("1000"), x.toString());
        assertReadable(x);
        List<String> y = tickLabels(c, "getYAxis");                 // 0.05 .. 0.9: only 0.1 inside, so widened
        assertTrue(y.contains("0.01") && y.contains("0.1") && y.contains("1"), y.toString());
    }

    @Test
    void barLabelsHaveThreeSignificantDigits() throws Exception {
        Map<String, Double> acc = new LinkedHashMap<>();
        acc.put("standard", 0.8843750000001);
        acc.put("performer", 0.1093750000002);
        CategoryChart c = Charts.accuracyBars(acc);
        Charts.toImage(c);
        Format f = (Format) call(c, "getYAxisFormat");
        assertEquals("0.884", f.format(0.8843750000001));
        assertEquals("0.109", f.format(0.1093750000002));
        assertEquals("12", f.format(12.0));
        assertEquals("1234", f.format(1234.0), "no grouping separator");
        assertEquals("0", Tidy.barPattern(0, 1000, 120));
        assertEquals("0.###", Tidy.barPattern(0, 1, 0.5));
    }

    @Test
    void longTitlesAreFittedToTheWidth() {
        String longTitle = "Normalised cumulative singular value of attention P (needle retrieval, mean of heads) — trained and untrained";
        XYChart c = Charts.line(longTitle, "x", "y", "standard", new double[] {1, 2}, new double[] {1, 2});
        assertFalse(Tidy.titleFits(c), "the test title must be too long at 16 pt");
        Charts.toImage(c);
        assertTrue(Tidy.titleFits(c), "title still wider than the chart: " + c.getTitle());
        assertEquals(longTitle, c.getTitle(), "shrinking was enough: the text is kept");
        XYChart d = Charts.line(longTitle.repeat(3), "x", "y", "standard", new double[] {1, 2}, new double[] {1, 2});
        Charts.toImage(d);
        assertTrue(Tidy.titleFits(d));
        assertTrue(d.getTitle().endsWith("…"));
        assertTrue(d.getStyler().getChartTitleFont().getSize() >= Tidy.MIN_TITLE_SIZE);
    }

    @Test
    void singlePointSeriesAreMarkersNotCurves() {
        XYChart c = Charts.xy("accuracy vs window", "w", "accuracy");
        XYSeries one = Charts.line(c, "longformer, no global", new double[] {4}, new double[] {0.5});
        XYSeries hand = c.addSeries("by hand", new double[] {8}, new double[] {0.6});
        hand.setMarker(SeriesMarkers.NONE);
        Charts.line(c, "standard", new double[] {4, 8}, new double[] {0.7, 0.8});
        Charts.toImage(c);
        assertEquals(SeriesLines.NONE, one.getLineStyle());
        assertEquals(SeriesLines.NONE, hand.getLineStyle());
        assertTrue(hand.getMarker() != SeriesMarkers.NONE, "a one-point series added by hand gets a marker");
        assertTrue(c.getSeriesMap().get("standard").getLineStyle() != SeriesLines.NONE);
    }

    // ------------------------------------------------------------------ crossovers

    @Test
    void crossoverIsASignChangeBetweenMeasuredPoints() {
        double[] n = {256, 512, 1024, 2048};
        // challenger slower at 256 and 512, faster from 1024: between 512 and 1024, log-interpolated
        double at = ComplexityChart.crossoverLength(n, new double[] {4, 6, 8, 10}, new double[] {1, 4, 16, 64});
        assertTrue(at > 512 && at < 1024, "crossover " + at);
        // gaps ln(6/4) at 512 and ln(8/16) at 1024: f = 0.405 / (0.405 + 0.693)
        assertEquals(Math.exp(Math.log(512) + Math.log(1.5) / (Math.log(1.5) + Math.log(2)) * Math.log(2)), at, 1e-9);
    }

    @Test
    void betterFromTheFirstPointIsNoCrossover() {
        double[] n = {256, 512, 1024};
        assertTrue(Double.isNaN(ComplexityChart.crossoverLength(n, new double[] {1, 2, 3}, new double[] {5, 20, 80})));
        assertTrue(Double.isNaN(ComplexityChart.crossoverLength(n, new double[] {9, 20, 90}, new double[] {5, 20, 80})), "never better");
        assertTrue(Double.isNaN(ComplexityChart.crossoverLength(n, new double[] {1, 30, 90}, new double[] {5, 20, 80})), "better, then not");
        // better, worse, better again: the last change counts
        double at = ComplexityChart.crossoverLength(new double[] {256, 512, 1024, 2048}, new double[] {1, 30, 40, 50}, new double[] {5, 20, 80, 300});
        assertTrue(at > 512 && at < 1024, "crossover " + at);
    }

    @Test
    void chartsMarkOnlyTrueCrossovers() {
        List<BenchmarkPoint> always = VizFixtures.powerLaws();      // linformer better from n = 256, the first length
        ComplexityChart c = Charts.complexity(always, Metric.TIME, Mode.FORWARD,
            ComplexityChart.options().crossover(Crossover.find(always, "linformer", "standard", Mode.FORWARD, Metric.TIME)));
        assertFalse(c.getSeriesMap().keySet().stream().anyMatch(k -> k.startsWith("crossover")), c.getSeriesMap().keySet().toString());
        assertTrue(Double.isNaN(c.markCrossover("linformer", "standard")));

        List<BenchmarkPoint> late = new ArrayList<>();
        for (int n = 256; n <= 4096; n *= 2) {
            late.add(VizFixtures.point("standard", Mode.FORWARD, n, 1e-5 * n * n, 1L << 20));
            late.add(VizFixtures.point("performer", Mode.FORWARD, n, 0.01 * n, 1L << 20));   // equal at n = 1000
        }
        Crossover found = Crossover.find(late, "performer", "standard", Mode.FORWARD, Metric.TIME);
        assertEquals(Crossover.Kind.MEASURED, found.kind());
        ComplexityChart d = Charts.complexity(late, Metric.TIME, Mode.FORWARD, ComplexityChart.options().crossover(found));
        assertTrue(d.getSeriesMap().containsKey("crossover n≈1000 (interpolated)"), d.getSeriesMap().keySet().toString());
        assertEquals(1000, d.markCrossover("performer", "standard"), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> d.markCrossover(Crossover.find(late, "performer", "standard", Mode.FORWARD, Metric.MEMORY)));
        assertNotNull(Charts.toImage(d));
    }
}
