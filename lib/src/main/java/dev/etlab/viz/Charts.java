package dev.etlab.viz;

import dev.etlab.bench.Metric;
import dev.etlab.bench.BenchmarkPoint;
import dev.etlab.bench.Mode;
import dev.etlab.train.History;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The lab's charts. XChart charts are returned as XChart objects (tweak them with
 * {@code getStyler()}, add series, …); heatmaps are drawn straight into a {@link BufferedImage}.
 * Show either with {@link Notebook#show(Object)} or save with {@link #save(Chart, Path)}.
 *
 * <pre>{@code
 * Notebook.show(Charts.complexity(points, Metric.TIME, Mode.FORWARD));
 * Notebook.show(Charts.trainingCurves(List.of(std, lin), XAxis.STEP, History.LOSS, 0.9));
 * Notebook.show(Charts.heatmap(weights, "layer 0, head 0", tokens));
 * Notebook.show(Charts.heatmapGrid(Charts.heads(weights, 0), null, 4));
 * Notebook.show(Charts.pattern(mask, "sliding window w=4"));
 * Notebook.show(Charts.accuracyBars(Map.of("standard", 0.91, "linformer", 0.88)));
 * Charts.save(chart, Path.of("figures/time.png"));
 * }</pre>
 */
public final class Charts {
    private Charts() {}

    static {
        Style.ensureHeadless();
    }

    // ------------------------------------------------------------------ complexity

    /** Time or memory vs sequence length, log-log, with fitted slopes and O(n)/O(n²) guides. */
    public static ComplexityChart complexity(List<BenchmarkPoint> points, Metric metric, Mode mode) {
        return new ComplexityChart(points, metric, mode, ComplexityChart.options());
    }

    /** As {@link #complexity(List, Metric, Mode)} with options (memory field, guides, crossover, size). */
    public static ComplexityChart complexity(List<BenchmarkPoint> points, Metric metric, Mode mode, ComplexityChart.Options options) {
        return new ComplexityChart(points, metric, mode, options);
    }

    // ------------------------------------------------------------------ training curves

    /** One curve per run of {@code column} (e.g. {@link History#LOSS}, {@link History#VAL_ACCURACY}); NaN rows skipped. */
    public static XYChart trainingCurves(List<History> histories, XAxis x, String column) {
        return trainingCurves(histories, x, column, 0);
    }

    /**
     * As {@link #trainingCurves(List, XAxis, String)}, smoothing noisy per-step columns with a
     * bias-corrected exponential moving average of weight {@code smoothing} in [0, 1) (0.9 is a
     * good start for train loss); the raw curve stays visible, faint. Validation columns (sparse)
     * are never smoothed and are drawn with markers.
     */
    public static XYChart trainingCurves(List<History> histories, XAxis x, String column, double smoothing) {
        if (!(smoothing >= 0 && smoothing < 1)) throw new IllegalArgumentException("smoothing must be in [0, 1): " + smoothing);
        boolean validation = column.startsWith("val_");
        boolean smooth = smoothing > 0 && !validation;
        String what = pretty(column);
        String along = x == XAxis.STEP ? "step" : "wall time";
        XYChart c = xy(capitalise(what) + " vs " + along + (smooth ? String.format(Locale.ROOT, " (EMA %.2g, raw faint)", smoothing) : ""),
            x == XAxis.STEP ? "step" : "wall time (s)", what);
        c.getStyler().setLegendPosition(column.contains("loss") ? Styler.LegendPosition.InsideNE
            : column.contains("acc") ? Styler.LegendPosition.InsideSE : Styler.LegendPosition.InsideNW);
        Set<String> used = new HashSet<>();
        for (History h : histories) {
            double[] xs = h.column(x == XAxis.STEP ? History.STEP : History.WALL_S);
            double[] ys = h.column(column);
            int n = 0;
            for (int i = 0; i < ys.length; i++) if (!Double.isNaN(ys[i]) && !Double.isNaN(xs[i])) n++;
            if (n == 0) continue;
            double[] px = new double[n], py = new double[n];
            for (int i = 0, k = 0; i < ys.length; i++) {
                if (!Double.isNaN(ys[i]) && !Double.isNaN(xs[i])) {
                    px[k] = xs[i];
                    py[k++] = ys[i];
                }
            }
            String name = h.label();
            for (int k = 2; !used.add(name); k++) name = h.label() + " (" + k + ")";
            Color color = Style.colorFor(h.label());
            if (smooth) {
                XYSeries raw = c.addSeries(name + " (raw)", px, py);
                raw.setMarker(SeriesMarkers.NONE);
                raw.setLineColor(Style.alpha(color, 70));
                raw.setLineStyle(Style.solid(1f));
                raw.setShowInLegend(false);
                py = ema(py, smoothing);
            }
            XYSeries s = c.addSeries(name, px, py);
            s.setLineColor(color);
            s.setMarkerColor(color);
            s.setLineStyle(n == 1 ? SeriesLines.NONE : Style.strokeFor(h.label(), validation ? 1.8f : 2.2f));
            s.setMarker(validation || n <= 30 ? Style.markerFor(h.label()) : SeriesMarkers.NONE);
        }
        if (c.getSeriesMap().isEmpty()) placeholder(c);
        else evenXTicks(c);
        return c;
    }

    /**
     * XChart puts x ticks at the data points when every x value is a whole number (300 steps give
     * labels 1, 15, 29, …). A hidden one-point series at a fractional x inside the range restores
     * evenly spaced "nice" ticks (0, 50, 100, …) without changing the axis range.
     */
    static void evenXTicks(XYChart c) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, y = Double.NaN;
        int count = 0;
        for (XYSeries s : c.getSeriesMap().values()) {
            for (int i = 0; i < s.getXData().length; i++) {
                double x = s.getXData()[i];
                if (x != Math.rint(x)) return;
                min = Math.min(min, x);
                max = Math.max(max, x);
                if (Double.isNaN(y)) y = s.getYData()[i];
                count++;
            }
        }
        if (count <= 12 || max - min < 1) return;
        XYSeries h = c.addSeries(TICK_HELPER, new double[] {min + 0.5}, new double[] {y});
        h.setEnabled(false);
        h.setShowInLegend(false);
        h.setMarker(SeriesMarkers.NONE);
    }

    /** Name of the hidden series added by {@link #evenXTicks(XYChart)}. */
    static final String TICK_HELPER = "\u2063axis ticks";

    /** Bias-corrected exponential moving average: s_t = w·s_{t−1} + (1−w)·x_t, divided by 1 − w^t. */
    static double[] ema(double[] x, double w) {
        double[] out = new double[x.length];
        double s = 0, wk = 1;
        for (int i = 0; i < x.length; i++) {
            s = w * s + (1 - w) * x[i];
            wk *= w;
            out[i] = s / (1 - wk);
        }
        return out;
    }

    private static String pretty(String column) {
        return switch (column) {
            case History.LOSS -> "train loss";
            case History.ACCURACY -> "train accuracy";
            case History.VAL_LOSS -> "validation loss";
            case History.VAL_ACCURACY -> "validation accuracy";
            case History.LR -> "learning rate";
            case History.TOKENS_PER_S -> "throughput (tokens/s)";
            case History.WALL_S -> "wall time (s)";
            default -> column.replace('_', ' ');
        };
    }

    private static String capitalise(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    // ------------------------------------------------------------------ heatmaps

    /** An attention map (T queries × S keys) with a viridis colour scale and colour bar. */
    public static BufferedImage heatmap(INDArray matrix, String title) {
        return Heatmap.of(matrix).title(title).render();
    }

    /** An attention map with token labels on both axes (drawn when T, S ≤ 64). */
    public static BufferedImage heatmap(INDArray matrix, String title, List<String> tokens) {
        return Heatmap.of(matrix).title(title).labels(tokens).render();
    }

    /** Heatmaps side by side, {@code columns} per row, one shared value range and colour bar. */
    public static BufferedImage heatmapGrid(List<INDArray> maps, List<String> titles, int columns) {
        return heatmapGrid(maps, titles, columns, null);
    }

    /** As {@link #heatmapGrid(List, List, int)} with an overall title. */
    public static BufferedImage heatmapGrid(List<INDArray> maps, List<String> titles, int columns, String title) {
        List<double[][]> m = new ArrayList<>();
        for (INDArray a : maps) m.add(Heatmap.matrix(a));
        List<String> t = titles != null ? titles : defaultTitles(maps.size(), "head ");
        return Heatmap.grid(m, t, columns, title, Colormap.VIRIDIS, false);
    }

    /**
     * The per-head maps of attention weights: (B, H, T, S) → the H maps of batch item {@code batch};
     * (H, T, S) → its H maps (batch ignored); (T, S) → itself.
     */
    public static List<INDArray> heads(INDArray weights, int batch) {
        INDArray a = weights;
        if (a.rank() == 4) a = a.slice(batch);
        if (a.rank() == 2) return List.of(a);
        if (a.rank() != 3) throw new IllegalArgumentException("expected (B, H, T, S), (H, T, S) or (T, S); got rank " + weights.rank());
        List<INDArray> out = new ArrayList<>();
        for (int h = 0; h < a.size(0); h++) out.add(a.slice(h));
        return out;
    }

    /**
     * Which keys each query may attend to, drawn as dark (attends) and white (masked) cells with the
     * density and keys per query. The mask may be 0/1, an additive bias (0 / large negative such as
     * {@code Masks.NEG}), or attention weights (nonzero = attended).
     */
    public static BufferedImage pattern(INDArray mask, String title) {
        return Heatmap.pattern(mask).title(title).render();
    }

    /** As {@link #pattern(INDArray, String)} from {@code allowed[query][key]}. */
    public static BufferedImage pattern(boolean[][] allowed, String title) {
        return Heatmap.pattern(allowed).title(title).render();
    }

    /** Several patterns side by side (e.g. sliding window, dilated, global, strided). */
    public static BufferedImage patternGrid(List<boolean[][]> patterns, List<String> titles, int columns) {
        List<double[][]> m = new ArrayList<>();
        for (boolean[][] b : patterns) {
            double[][] d = new double[b.length][];
            for (int i = 0; i < b.length; i++) {
                d[i] = new double[b[i].length];
                for (int j = 0; j < b[i].length; j++) d[i][j] = b[i][j] ? 1 : 0;
            }
            m.add(d);
        }
        return Heatmap.grid(m, titles != null ? titles : defaultTitles(patterns.size(), "pattern "), columns, null, Colormap.GREYS, true);
    }

    private static List<String> defaultTitles(int n, String prefix) {
        List<String> t = new ArrayList<>();
        for (int i = 0; i < n; i++) t.add(prefix + i);
        return t;
    }

    // ------------------------------------------------------------------ category and xy helpers

    /**
     * One bar per category, in the map's iteration order (use a LinkedHashMap), coloured by the
     * category's mechanism colour, with the value printed on each bar.
     */
    public static CategoryChart bars(String title, String yLabel, Map<String, ? extends Number> values) {
        CategoryChart c = new CategoryChart(Style.WIDTH, Style.HEIGHT);
        Style.apply(c.getStyler());
        c.setTitle(title);
        c.setYAxisTitle(yLabel);
        c.getStyler().setLegendVisible(false);
        c.getStyler().setOverlapped(true);
        c.getStyler().setLabelsVisible(true);
        c.getStyler().setLabelsFont(Style.font(java.awt.Font.BOLD, 13));
        c.getStyler().setLabelsFontColorAutomaticEnabled(true);
        c.getStyler().setLabelsPosition(0.93);
        c.getStyler().setAvailableSpaceFill(0.6);
        c.getStyler().setPlotGridVerticalLinesVisible(false);
        c.getStyler().setYAxisMin(0.0);
        List<String> cats = new ArrayList<>(values.keySet());
        // One series per category (null elsewhere) so every bar can have its mechanism's colour.
        for (String cat : cats) {
            List<Double> ys = new ArrayList<>();
            for (String other : cats) ys.add(other.equals(cat) ? values.get(cat).doubleValue() : null);
            CategorySeries s = c.addSeries(cat, cats, ys);
            s.setFillColor(Style.colorFor(cat));
        }
        if (cats.isEmpty()) c.addSeries("no data", List.of("none"), List.of(0));
        return c;
    }

    /** "Accuracy by method": bars on a 0–1 axis (when all values are in [0, 1]). */
    public static CategoryChart accuracyBars(Map<String, Double> accuracy) {
        CategoryChart c = bars("Accuracy by method", "accuracy", accuracy);
        boolean unit = accuracy.values().stream().allMatch(v -> v >= 0 && v <= 1);
        if (unit) c.getStyler().setYAxisMax(1.0);
        return c;
    }

    /**
     * Grouped bars: categories on the x axis (e.g. window sizes "16", "32", "64"), one coloured
     * series per method; {@code series.get(method)[i]} is the value for {@code categories.get(i)}
     * (NaN for none).
     */
    public static CategoryChart groupedBars(String title, String xLabel, String yLabel, List<String> categories,
                                            Map<String, double[]> series) {
        CategoryChart c = new CategoryChart(Style.WIDTH, Style.HEIGHT);
        Style.apply(c.getStyler());
        c.setTitle(title);
        c.setXAxisTitle(xLabel);
        c.setYAxisTitle(yLabel);
        c.getStyler().setPlotGridVerticalLinesVisible(false);
        c.getStyler().setAvailableSpaceFill(0.75);
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            if (e.getValue().length != categories.size()) {
                throw new IllegalArgumentException(e.getKey() + ": " + e.getValue().length + " values for " + categories.size() + " categories");
            }
            List<Double> ys = new ArrayList<>();
            for (double v : e.getValue()) ys.add(Double.isNaN(v) ? null : v);
            CategorySeries s = c.addSeries(e.getKey(), categories, ys);
            s.setFillColor(Style.colorFor(e.getKey()));
        }
        return c;
    }

    /** An empty XY chart in the house style, to add series to with {@link #line(XYChart, String, double[], double[])}. */
    public static XYChart xy(String title, String xLabel, String yLabel) {
        XYChart c = new XYChart(Style.WIDTH, Style.HEIGHT);
        Style.apply(c.getStyler());
        c.setTitle(title);
        c.setXAxisTitle(xLabel);
        c.setYAxisTitle(yLabel);
        return c;
    }

    /**
     * Adds a line with markers in the label's colour (a variant of a mechanism, e.g. "longformer
     * (dense mask)", also gets its own dash pattern and marker: {@link Style#variant}); a single
     * point is drawn as a marker alone. Returns the series for further styling.
     */
    public static XYSeries line(XYChart chart, String label, double[] x, double[] y) {
        XYSeries s = chart.addSeries(label, x, y);
        Color c = Style.colorFor(label);
        s.setLineColor(c);
        s.setMarkerColor(c);
        s.setLineStyle(x.length == 1 ? SeriesLines.NONE : Style.strokeFor(label, 2.2f));
        s.setMarker(x.length <= 40 ? Style.markerFor(label) : SeriesMarkers.NONE);
        return s;
    }

    /** A one-line XY chart, e.g. accuracy vs window size. */
    public static XYChart line(String title, String xLabel, String yLabel, String label, double[] x, double[] y) {
        XYChart c = xy(title, xLabel, yLabel);
        line(c, label, x, y);
        return c;
    }

    private static void placeholder(XYChart c) {
        XYSeries s = c.addSeries("no data", new double[] {0, 1}, new double[] {0, 1});
        s.setEnabled(false);
    }

    // ------------------------------------------------------------------ output

    /** Renders a chart at its own size (anti-aliased, white background). */
    public static BufferedImage toImage(Chart<?, ?> chart) {
        Style.ensureHeadless();
        Tidy.apply(chart);
        return BitmapEncoder.getBufferedImage(chart);
    }

    /** Saves a chart as PNG (parent folders created); returns the path. */
    public static Path save(Chart<?, ?> chart, Path file) {
        Notebook.writePng(toImage(chart), file);
        return file;
    }

    /** Saves an image (e.g. a heatmap) as PNG; returns the path. */
    public static Path save(BufferedImage image, Path file) {
        Notebook.writePng(image, file);
        return file;
    }

    /** Same as {@link Notebook#show(Object)}. */
    public static void show(Object chartOrImage) {
        Notebook.show(chartOrImage);
    }

}
