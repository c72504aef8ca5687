package dev.etlab.viz;

import dev.etlab.bench.Metric;
import dev.etlab.bench.BenchmarkPoint;
import dev.etlab.bench.Crossover;
import dev.etlab.bench.Mode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.knowm.xchart.AnnotationTextPanel;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Time or memory against sequence length on log-log axes: one series per mechanism, its legend
 * entry carrying the fitted log-log slope ("standard — slope 1.97"), grey dashed O(n), O(n²)
 * (and optionally O(n log n), O(n√n)) guides starting just under the data, skipped points listed
 * in a box and in {@link #caption()}, and an optional crossover marker. It is an ordinary
 * {@link XYChart}: restyle it as you like. One thing to know when adding data by hand: the x axis
 * holds log2(n) (so every power of two gets a tick label), so add series with
 * {@link #addLengthSeries(String, double[], double[])}, which takes plain lengths.
 *
 * <pre>{@code
 * ComplexityChart c = Charts.complexity(points, Metric.TIME, Mode.FORWARD);
 * c.slopes();                  // {standard=1.97, linformer=1.02}
 * c.caption();                 // "Skipped: standard n=16384 (predicted 18 GiB > cap)"
 * c.markCrossover("linformer", "standard"); // dotted line where linformer's curve crosses below, if it does
 * c.markCrossover(Crossover.find(points, "linformer", "standard", Mode.FORWARD, Metric.TIME)); // the same from the record
 * Notebook.show(c);
 * ComplexityChart m = Charts.complexity(points, Metric.MEMORY, Mode.FORWARD,
 *     ComplexityChart.options().memory(MemoryField.NATIVE).guides(Guide.LINEAR, Guide.N_LOG_N, Guide.QUADRATIC));
 * }</pre>
 */
public final class ComplexityChart extends XYChart {

    /** Settings for {@link Charts#complexity(List, Metric, Mode, Options)}; all optional. */
    public static final class Options {
        MemoryField memory = MemoryField.RSS;
        Set<Guide> guides = EnumSet.of(Guide.LINEAR, Guide.QUADRATIC);
        boolean useMin;
        double crossover = Double.NaN;
        Crossover crossoverFound;
        String title;
        int width = Style.WIDTH, height = Style.HEIGHT;
        double anchorX = Double.NaN, anchorY = Double.NaN;

        /** Which memory figure to plot (RSS by default). */
        public Options memory(MemoryField f) {
            this.memory = f;
            return this;
        }

        /** The reference guides to draw (default O(n) and O(n²)); none for no guides. */
        public Options guides(Guide... g) {
            this.guides = g.length == 0 ? EnumSet.noneOf(Guide.class) : EnumSet.of(g[0], g);
            return this;
        }

        /** Plot the fastest repeat instead of the median. */
        public Options useMin(boolean b) {
            this.useMin = b;
            return this;
        }

        /** Draw a crossover marker at this length. */
        public Options crossover(double length) {
            this.crossover = length;
            return this;
        }

        /**
         * Mark a crossover found by {@link Crossover#find}: drawn only when it lies between two measured
         * lengths ({@link Crossover.Kind#MEASURED}), at its log–log interpolated length; a challenger
         * that is better from the first length on, or never, gets no marker.
         */
        public Options crossover(Crossover c) {
            this.crossoverFound = c;
            return this;
        }

        public Options title(String t) {
            this.title = t;
            return this;
        }

        public Options size(int w, int h) {
            this.width = w;
            this.height = h;
            return this;
        }

        /** Where the guides start (length, value in the chart's unit); default: just under the leftmost data. */
        public Options anchor(double length, double value) {
            this.anchorX = length;
            this.anchorY = value;
            return this;
        }
    }

    public static Options options() {
        return new Options();
    }

    private static final Marker[] MARKERS = {
        SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND, SeriesMarkers.TRIANGLE_UP,
        SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND,
    };

    private final Metric metric;
    private final Mode mode;
    private final Map<String, LogLogFit> fits = new LinkedHashMap<>();
    /** The drawn points of each mechanism: length → value in the chart's unit. */
    private final Map<String, TreeMap<Integer, Double>> drawn = new LinkedHashMap<>();
    private final List<BenchmarkPoint> skipped = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private double yLo = Double.POSITIVE_INFINITY, yHi = Double.NEGATIVE_INFINITY;
    private double xLo = Double.POSITIVE_INFINITY, xHi = Double.NEGATIVE_INFINITY;
    private final double unit;
    private final String unitName;
    private AnnotationTextPanel skippedPanel;
    private int crossovers;

    ComplexityChart(List<BenchmarkPoint> points, Metric metric, Mode mode, Options o) {
        super(o.width, o.height);
        this.metric = metric;
        this.mode = mode;
        Style.apply(getStyler());
        // x is drawn as log2(n) on a linear axis so every power of two gets a label (XChart's own
        // log axis labels decades only); values stay true on the log y axis.
        getStyler().setxAxisTickLabelsFormattingFunction(ComplexityChart::powerOfTwoLabel);
        getStyler().setYAxisLogarithmic(true);

        // Group the chosen mode's points by mechanism: "standard" first, then in order of appearance.
        Map<String, List<BenchmarkPoint>> groups = new LinkedHashMap<>();
        for (BenchmarkPoint p : points) {
            if (p.mode() != mode) continue;
            if (!p.measured()) {
                skipped.add(p);
                continue;
            }
            groups.computeIfAbsent(p.mechanism(), k -> new ArrayList<>()).add(p);
        }
        List<String> order = new ArrayList<>(groups.keySet());
        order.sort((a, b) -> Boolean.compare(!a.equalsIgnoreCase("standard"), !b.equalsIgnoreCase("standard")));

        long maxBytes = 0;
        if (metric == Metric.MEMORY) {
            for (List<BenchmarkPoint> g : groups.values()) for (BenchmarkPoint p : g) maxBytes = Math.max(maxBytes, o.memory.bytes(p));
        }
        boolean gib = maxBytes >= 8L << 30;
        this.unit = metric == Metric.TIME ? 1 : gib ? 1L << 30 : 1L << 20;
        this.unitName = metric == Metric.TIME ? "ms" : gib ? "GiB" : "MiB";

        int index = 0;
        for (String mech : order) {
            TreeMap<Integer, Double> byLength = new TreeMap<>();
            for (BenchmarkPoint p : groups.get(mech)) {
                double v = value(p, o);
                if (!(v > 0) || !Double.isFinite(v)) {
                    notes.add(mech + " n=" + p.length() + ": " + (metric == Metric.MEMORY ? "no memory above baseline" : "no time") + ", not drawn");
                    continue;
                }
                byLength.merge(p.length(), v, Math::min); // repeated lengths (e.g. several batches): keep one
            }
            if (byLength.isEmpty()) continue;
            double[] x = byLength.keySet().stream().mapToDouble(Integer::doubleValue).toArray();
            double[] y = byLength.values().stream().mapToDouble(Double::doubleValue).toArray();
            LogLogFit fit = LogLogFit.of(x, y);
            fits.put(mech, fit);
            String name = fit.valid() ? mech + " — slope " + String.format(Locale.ROOT, "%.2f", fit.slope()) : mech + " (one point)";
            XYSeries s = addLengthSeries(name, x, y);
            Color c = Style.colorFor(mech);
            s.setLineColor(c);
            s.setMarkerColor(c);
            s.setMarker(MARKERS[index++ % MARKERS.length]);
            s.setLineStyle(x.length == 1 ? SeriesLines.NONE : Style.strokeFor(mech, 2.2f));
            drawn.put(mech, byLength);
            for (int i = 0; i < x.length; i++) {
                xLo = Math.min(xLo, x[i]);
                xHi = Math.max(xHi, x[i]);
                yLo = Math.min(yLo, y[i]);
                yHi = Math.max(yHi, y[i]);
            }
        }

        String config = config(points, mode);
        String what = metric == Metric.TIME ? (o.useMin ? "fastest time" : "time")
            : o.memory.label() + " memory";
        setTitle(o.title != null ? o.title : capitalise(mode.label()) + " " + what + " vs sequence length" + config);
        setXAxisTitle("sequence length n (tokens, log scale)");
        setYAxisTitle(metric == Metric.TIME
            ? (o.useMin ? "fastest" : "median") + " time per " + mode.label() + " pass (ms)"
            : o.memory.label() + " memory above baseline (" + unitName + ")");

        if (fits.isEmpty()) {
            // XChart cannot draw an empty log-log chart: a placeholder keeps it renderable.
            XYSeries s = addSeries("no measured points", new double[] {1, 10}, new double[] {1, 10});
            s.setEnabled(false);
            s.setShowInLegend(true);
        } else {
            addGuides(o);
        }
        if (!Double.isNaN(o.crossover)) markCrossover(o.crossover, null);
        if (o.crossoverFound != null) markCrossover(o.crossoverFound);
        String cap = caption();
        if (!cap.isEmpty()) {
            List<String> lines = new ArrayList<>(List.of(cap.split("\n")));
            if (lines.size() > 5) {
                int more = lines.size() - 4;
                lines = new ArrayList<>(lines.subList(0, 4));
                lines.add("… and " + more + " more (see caption())");
            }
            skippedPanel = new AnnotationTextPanel(String.join("\n", lines), 1e5, 58, true);
            addAnnotation(skippedPanel);
        }
    }

    private double value(BenchmarkPoint p, Options o) {
        if (metric == Metric.TIME) return o.useMin ? p.minMillis() : p.medianMillis();
        return o.memory.bytes(p) / unit;
    }

    /** " (B=8, d=256, h=4)" when every point of the mode shares these, else "". */
    private static String config(List<BenchmarkPoint> points, Mode mode) {
        Integer b = null, d = null, h = null;
        boolean same = true;
        for (BenchmarkPoint p : points) {
            if (p.mode() != mode) continue;
            if (b == null) {
                b = p.batch();
                d = p.dModel();
                h = p.heads();
            } else if (b != p.batch() || d != p.dModel() || h != p.heads()) {
                same = false;
            }
        }
        return b != null && same ? " (B=" + b + ", d=" + d + ", h=" + h + ")" : "";
    }

    private void addGuides(Options o) {
        double ax = o.anchorX, ay = o.anchorY;
        if (Double.isNaN(ax) || Double.isNaN(ay)) {
            // Start at the leftmost length, half the geometric mean of the series' first values:
            // just under the data, so a curve parallel to a guide is easy to spot.
            double logSum = 0;
            int n = 0;
            for (XYSeries s : getSeriesMap().values()) {
                if (!s.isEnabled() || s.getXData().length == 0) continue;
                logSum += Math.log(s.getYData()[0]);
                n++;
            }
            ax = xLo;
            ay = Math.exp(logSum / n) / 2;
        }
        double lo = Math.min(yLo, ay) / 1.5, hi = Math.max(yHi, ay) * 1.5;
        double right = Math.max(xHi, ax * 2);
        for (Guide g : o.guides) {
            final double x0 = ax, y0 = ay;
            java.util.function.DoubleUnaryOperator curve = x -> y0 * g.f(x) / g.f(x0);
            // Stop where the guide leaves the data's value range, so it never stretches the axis.
            double end = right;
            if (curve.applyAsDouble(end) > hi) {
                double a = Math.log(x0), b = Math.log(end);
                for (int i = 0; i < 60; i++) {
                    double m = (a + b) / 2;
                    if (curve.applyAsDouble(Math.exp(m)) > hi) b = m;
                    else a = m;
                }
                end = Math.exp(a);
            }
            if (end <= x0 * 1.01) continue;
            int k = g == Guide.LINEAR || g == Guide.QUADRATIC || g == Guide.N_SQRT_N ? 2 : 24;
            double[] gx = new double[k], gy = new double[k];
            for (int i = 0; i < k; i++) {
                gx[i] = Math.exp(Math.log(x0) + (Math.log(end) - Math.log(x0)) * i / (k - 1));
                gy[i] = curve.applyAsDouble(gx[i]);
            }
            if (gy[0] < lo) continue;
            XYSeries s = addLengthSeries(g.label() + " guide", gx, gy);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(Style.GUIDE);
            s.setLineStyle(g.stroke());
        }
    }

    /**
     * Draws a dotted vertical line at {@code length}, e.g. where a linear method starts beating
     * standard attention. {@code label} defaults to "crossover n≈LENGTH".
     */
    public ComplexityChart markCrossover(double length, String label) {
        if (!(length > 0) || fits.isEmpty()) return this;
        String name = label != null ? label : "crossover n≈" + Numbers.compact(Math.round(length));
        if (getSeriesMap().containsKey(name)) name = name + " (" + (++crossovers) + ")";
        XYSeries s = addLengthSeries(name, new double[] {length, length}, new double[] {yLo / 1.2, yHi * 1.2});
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(new Color(0x444444));
        s.setLineStyle(new BasicStroke(1.6f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10f, new float[] {2f, 4f}, 0f));
        return this;
    }

    /**
     * Marks a crossover found by {@link Crossover#find} (same metric and mode as this chart): only a
     * {@link Crossover.Kind#MEASURED} one, at its interpolated length; otherwise nothing is drawn.
     */
    public ComplexityChart markCrossover(Crossover c) {
        if (c.metric() != metric || c.mode() != mode) {
            throw new IllegalArgumentException("crossover of " + c.metric() + "/" + c.mode() + " on a " + metric + "/" + mode + " chart");
        }
        if (c.kind() != Crossover.Kind.MEASURED) return this;
        return markCrossover(c.estimatedLength(), "crossover n≈" + Numbers.compact(Math.round(c.estimatedLength())) + " (interpolated)");
    }

    /**
     * Marks where {@code challenger}'s drawn curve crosses below {@code baseline}'s, by
     * {@link #crossoverLength}; nothing when there is no such crossing. Returns the length (NaN if none).
     */
    public double markCrossover(String challenger, String baseline) {
        TreeMap<Integer, Double> a = drawn.get(challenger), b = drawn.get(baseline);
        if (a == null || b == null) return Double.NaN;
        List<Integer> common = new ArrayList<>(a.keySet());
        common.retainAll(b.keySet());
        double[] n = new double[common.size()], ya = new double[n.length], yb = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            n[i] = common.get(i);
            ya[i] = a.get(common.get(i));
            yb[i] = b.get(common.get(i));
        }
        double at = crossoverLength(n, ya, yb);
        if (!Double.isNaN(at)) markCrossover(at, "crossover n≈" + Numbers.compact(Math.round(at)) + " (interpolated)");
        return at;
    }

    /**
     * Where a challenger becomes and stays better (lower) than a baseline, from values measured at the
     * same increasing lengths: the last sign change of challenger − baseline between two consecutive
     * lengths, from not better to better, after which the challenger is better at every length,
     * interpolated on log–log axes (where both curves are near straight). NaN when there is none:
     * a challenger better from the first length on has no crossover inside the data (it is not "at
     * the first point"), nor has one that is not better at the last length.
     */
    public static double crossoverLength(double[] lengths, double[] challenger, double[] baseline) {
        int n = lengths.length;
        if (challenger.length != n || baseline.length != n) throw new IllegalArgumentException("lengths and values differ in size");
        int from = n;                                     // first index of the final run where the challenger is better
        while (from > 0 && challenger[from - 1] < baseline[from - 1]) from--;
        if (from == n || from == 0) return Double.NaN;
        int lo = from - 1, hi = from;
        if (!(lengths[lo] > 0 && lengths[hi] > lengths[lo]) || !(challenger[lo] > 0 && baseline[lo] > 0 && challenger[hi] > 0 && baseline[hi] > 0)) {
            return Double.NaN;
        }
        double gapLo = Math.log(challenger[lo]) - Math.log(baseline[lo]);    // >= 0: not better
        double gapHi = Math.log(challenger[hi]) - Math.log(baseline[hi]);    // < 0: better
        double f = gapLo / (gapLo - gapHi);
        return Math.exp(Math.log(lengths[lo]) + f * (Math.log(lengths[hi]) - Math.log(lengths[lo])));
    }

    /**
     * Adds a series at sequence lengths {@code lengths} (the x axis is log2(n) internally, so use
     * this rather than {@code addSeries} to add your own data, e.g. a paper's reported numbers).
     */
    public XYSeries addLengthSeries(String name, double[] lengths, double[] values) {
        double[] x = new double[lengths.length];
        for (int i = 0; i < x.length; i++) x[i] = axisX(lengths[i]);
        return addSeries(name, x, values);
    }

    /** Where length n sits on the x axis: log2(n). */
    public static double axisX(double length) {
        return Math.log(length) / Math.log(2);
    }

    /** Labels whole powers of two (8 → "256", 14 → "16k"); nothing between them. */
    static String powerOfTwoLabel(double x) {
        long k = Math.round(x);
        if (Math.abs(x - k) > 1e-6 || k < 0 || k > 60) return "";
        return compact(Math.pow(2, k));
    }

    /** The fitted log-log slope of each mechanism (NaN with fewer than two lengths). */
    public Map<String, Double> slopes() {
        Map<String, Double> m = new LinkedHashMap<>();
        fits.forEach((k, v) -> m.put(k, v.slope()));
        return Collections.unmodifiableMap(m);
    }

    /** R² of each mechanism's fit in log space: how straight its line is. */
    public Map<String, Double> fitQuality() {
        Map<String, Double> m = new LinkedHashMap<>();
        fits.forEach((k, v) -> m.put(k, v.r2()));
        return Collections.unmodifiableMap(m);
    }

    /** The points of this chart's mode that were skipped, in input order. */
    public List<BenchmarkPoint> skipped() {
        return Collections.unmodifiableList(skipped);
    }

    /** One line per skipped (or undrawable) point, e.g. "Skipped: standard n=16384 (predicted 18 GiB > cap)"; "" if none. */
    public String caption() {
        List<String> lines = new ArrayList<>();
        for (BenchmarkPoint p : skipped) lines.add("Skipped: " + p.mechanism() + " n=" + p.length() + " (" + p.skipped() + ")");
        lines.addAll(notes);
        return String.join("\n", lines);
    }

    public Metric metric() {
        return metric;
    }

    public Mode mode() {
        return mode;
    }

    /** The unit of the y axis: "ms", "MiB" or "GiB". */
    public String unit() {
        return unitName;
    }

    /** Tick labels of lengths: 1000 → "1000", 1024 → "1K", 16384 → "16K", 20000 → "20k", 0.5 → "0.5". */
    static String compact(double v) {
        return Numbers.compact(v);
    }

    private static String capitalise(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
