package dev.etlab.viz;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The last touches every chart gets just before it is drawn ({@link Charts#toImage}), whoever built
 * it: tick labels through {@link Numbers} (no {@code .21875}, no {@code 1,969.18}), bar labels with
 * three significant digits, log axes labelled even when they span less than two decades, one-point
 * series drawn as markers, and a title that fits the chart's width. Settings made by hand (a tick
 * formatting function, a decimal pattern) are left alone. Applying it twice changes nothing.
 */
final class Tidy {
    private Tidy() {}

    /** Smallest title font size before the title is shortened. */
    static final int MIN_TITLE_SIZE = 10;

    static void apply(Chart<?, ?> chart) {
        if (chart instanceof XYChart xy) xy(xy);
        else if (chart instanceof CategoryChart cat) category(cat);
        fitTitle(chart);
    }

    // ------------------------------------------------------------------ XY charts

    private static void xy(XYChart c) {
        AxesChartStyler st = c.getStyler();
        List<XYSeries> shown = new ArrayList<>();
        for (XYSeries s : c.getSeriesMap().values()) if (s.isEnabled()) shown.add(s);
        for (XYSeries s : shown) {
            if (s.getXData().length == 1) {            // a "curve" of one point: a marker, no line
                if (s.getMarker() == null || s.getMarker() == SeriesMarkers.NONE) s.setMarker(SeriesMarkers.CIRCLE);
                s.setLineStyle(SeriesLines.NONE);
            }
        }
        if (shown.isEmpty()) return;
        tickLabels(c, st, shown, true);
        tickLabels(c, st, shown, false);
    }

    /** Tick labels of one axis, unless set by hand: powers of ten on a log axis, {@link Numbers#tickFormatter} on a linear one. */
    private static void tickLabels(XYChart c, AxesChartStyler st, List<XYSeries> shown, boolean x) {
        boolean log = x ? st.isXAxisLogarithmic() : st.isYAxisLogarithmic();
        double[] r = range(shown, x, log);
        if ((x ? st.getxAxisTickLabelsFormattingFunction() : st.getyAxisTickLabelsFormattingFunction()) != null || Double.isNaN(r[0])) return;
        r = x ? withLimits(r, st.getXAxisMin(), st.getXAxisMax()) : withLimits(r, st.getYAxisMin(), st.getYAxisMax());
        if (log) {
            logAxis(st, x, r);
            return;
        }
        breakEqualSpacing(c, shown, x);  // its helper point is not in `shown` and lies inside the data: the other axis's range is unchanged
        java.util.function.Function<Double, String> labels = Numbers.tickFormatter(r[0], r[1], false);
        if (x) st.setxAxisTickLabelsFormattingFunction(labels);
        else st.setyAxisTickLabelsFormattingFunction(labels);
    }

    private static double[] withLimits(double[] r, Double min, Double max) {
        return new double[] {min != null ? Math.min(r[0], min) : r[0], max != null ? Math.max(r[1], max) : r[1]};
    }

    /** [min, max] of the finite values (positive only on a log axis) of the shown series; NaN if none. */
    static double[] range(List<XYSeries> series, boolean x, boolean positiveOnly) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (XYSeries s : series) {
            double[] v = x ? s.getXData() : s.getYData();
            double[] err = x ? null : s.getExtraValues();
            for (int i = 0; i < v.length; i++) {
                double a = v[i], e = err != null && i < err.length ? Math.abs(err[i]) : 0;
                for (double w : new double[] {a - e, a + e}) {
                    if (!Double.isFinite(w) || positiveOnly && !(w > 0)) continue;
                    lo = Math.min(lo, w);
                    hi = Math.max(hi, w);
                }
            }
        }
        return lo <= hi ? new double[] {lo, hi} : new double[] {Double.NaN, Double.NaN};
    }

    /**
     * XChart's log axis labels powers of ten only, so a range holding fewer than two of them would
     * show one label or none: the axis is then widened to the powers of ten around the data (unless
     * its limits were set by hand). Labels are written without separators. (A tick formatting
     * function is never set on a log axis: XChart 3.8.8's callback tick calculator can loop forever
     * there.)
     */
    private static void logAxis(AxesChartStyler st, boolean x, double[] r) {
        int decades = 0;
        for (int p = (int) Math.ceil(Math.log10(r[0]) - 1e-9); p <= Math.floor(Math.log10(r[1]) + 1e-9); p++) decades++;
        if (x && st.getXAxisDecimalPattern() == null) st.setXAxisDecimalPattern("0.##########");
        if (!x && st.getYAxisDecimalPattern() == null) st.setYAxisDecimalPattern("0.##########");
        if (decades >= 2) return;
        double lo = Math.pow(10, Math.floor(Math.log10(r[0]) + 1e-9)), hi = Math.pow(10, Math.ceil(Math.log10(r[1]) - 1e-9));
        if (x && st.getXAxisMin() == null && st.getXAxisMax() == null) {
            st.setXAxisMin(lo);
            st.setXAxisMax(hi);
        } else if (!x && st.getYAxisMin() == null && st.getYAxisMax() == null) {
            st.setYAxisMin(lo);
            st.setYAxisMax(hi);
        }
    }

    /**
     * XChart puts an axis's ticks at the data when the values on it are equally spaced: fine for a
     * handful of round values (k = 8, 16, 24), not for 32 fractions i/32 (ticks .03125, .15625, …)
     * nor for two accuracies 0.09766 and 0.14062 (two values are always "equally spaced"). Then a
     * hidden one-point series off the grid restores evenly spaced round ticks, range unchanged.
     */
    static void breakEqualSpacing(XYChart c, List<XYSeries> shown, boolean xAxis) {
        String name = xAxis ? Charts.TICK_HELPER : Charts.TICK_HELPER + " y";
        if (c.getSeriesMap().containsKey(name)) return;
        TreeSet<Double> vs = new TreeSet<>();
        double other = Double.NaN;
        for (XYSeries s : shown) {
            double[] on = xAxis ? s.getXData() : s.getYData(), off = xAxis ? s.getYData() : s.getXData();
            for (int i = 0; i < on.length; i++) {
                if (Double.isFinite(on[i])) vs.add(on[i]);
                if (Double.isNaN(other) && Double.isFinite(off[i])) other = off[i];
            }
        }
        if (vs.size() < 2 || Double.isNaN(other)) return;
        double lo = vs.first(), hi = vs.last(), step = (hi - lo) / (vs.size() - 1);
        for (double v : vs) {
            double k = (v - lo) / step;
            if (Math.abs(k - Math.rint(k)) > 1e-6) return;            // not equally spaced: XChart picks nice ticks
        }
        boolean round = vs.size() <= 12;
        for (double v : vs) round &= Numbers.significant(v, 3).equals(Numbers.significant(v, 12));
        if (round) return;
        double at = lo + step * 0.5 + (hi - lo) * 0.0137;
        XYSeries h = xAxis ? c.addSeries(name, new double[] {at}, new double[] {other}) : c.addSeries(name, new double[] {other}, new double[] {at});
        h.setEnabled(false);
        h.setShowInLegend(false);
        h.setMarker(SeriesMarkers.NONE);
    }

    // ------------------------------------------------------------------ category charts

    private static void category(CategoryChart c) {
        var st = c.getStyler();
        if (st.getYAxisDecimalPattern() != null) return;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY, minAbs = Double.POSITIVE_INFINITY;
        for (CategorySeries s : c.getSeriesMap().values()) {
            for (Number n : s.getYData()) {
                if (n == null || !Double.isFinite(n.doubleValue())) continue;
                double v = n.doubleValue();
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
                if (v != 0) minAbs = Math.min(minAbs, Math.abs(v));
            }
        }
        if (!(lo <= hi)) return;
        if (st.getYAxisMin() != null) lo = Math.min(lo, st.getYAxisMin());
        if (st.getYAxisMax() != null) hi = Math.max(hi, st.getYAxisMax());
        st.setYAxisDecimalPattern(barPattern(lo, hi, minAbs));
        rotateLongCategories(c);
    }

    /** Category names wider than their share of the x axis would overlap: they are slanted instead. */
    static void rotateLongCategories(CategoryChart c) {
        var st = c.getStyler();
        if (st.getXAxisLabelRotation() != 0 || c.getSeriesMap().isEmpty()) return;
        java.util.Collection<?> cats = c.getSeriesMap().values().iterator().next().getXData();
        if (cats.isEmpty()) return;
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = probe.createGraphics();
        try {
            FontMetrics fm = g.getFontMetrics(st.getAxisTickLabelsFont());
            int widest = 0;
            for (Object o : cats) widest = Math.max(widest, fm.stringWidth(String.valueOf(o)));
            double share = (c.getWidth() - 140.0) / cats.size();
            if (widest > share * 0.9) st.setXAxisLabelRotation(25);
        } finally {
            g.dispose();
        }
    }

    /**
     * One decimal pattern serves a category chart's y ticks and its bar labels (XChart formats both
     * with it): enough decimals for the ticks' step and for three significant digits of the smallest
     * bar, '#' so that trailing zeros are dropped, and no grouping separator.
     */
    static String barPattern(double lo, double hi, double minAbs) {
        int tickDecimals = Numbers.decimalsFor(Numbers.niceStep(hi - lo));
        int labelDecimals = Double.isFinite(minAbs) && minAbs > 0
            ? Math.max(0, Numbers.LABEL_DIGITS - 1 - (int) Math.floor(Math.log10(minAbs))) : 0;
        int d = Math.min(6, Math.max(tickDecimals, labelDecimals));
        return d == 0 ? "0" : "0." + "#".repeat(d);
    }

    // ------------------------------------------------------------------ titles

    /**
     * Shrinks the title's font (down to {@value #MIN_TITLE_SIZE} pt) until it fits the chart's width;
     * a title still too long is cut at a word with "…", so nothing is clipped at the edges.
     */
    static void fitTitle(Chart<?, ?> chart) {
        String title = chart.getTitle();
        if (title == null || title.isBlank()) return;
        Styler st = chart.getStyler();
        int avail = available(chart);
        Font font = st.getChartTitleFont();
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = probe.createGraphics();
        try {
            FontMetrics fm = g.getFontMetrics(font);
            while (fm.stringWidth(title) > avail && font.getSize() > MIN_TITLE_SIZE) {
                font = font.deriveFont((float) font.getSize() - 1);
                fm = g.getFontMetrics(font);
            }
            if (fm.stringWidth(title) > avail) {
                String t = title;
                while (t.length() > 1 && fm.stringWidth(t + "…") > avail) {
                    int cut = t.lastIndexOf(' ');
                    t = cut > t.length() / 2 ? t.substring(0, cut) : t.substring(0, t.length() - 1);
                }
                chart.setTitle(t.stripTrailing() + "…");
            }
            if (font != st.getChartTitleFont()) st.setChartTitleFont(font);
        } finally {
            g.dispose();
        }
    }

    /** The width a title may take: the chart's, less its padding on both sides and a small margin. */
    static int available(Chart<?, ?> chart) {
        return chart.getWidth() - 2 * chart.getStyler().getChartPadding() - 8;
    }

    /** Whether the chart's title, in its current font, fits {@link #available}. */
    static boolean titleFits(Chart<?, ?> chart) {
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = probe.createGraphics();
        try {
            return g.getFontMetrics(chart.getStyler().getChartTitleFont()).stringWidth(chart.getTitle()) <= available(chart);
        } finally {
            g.dispose();
        }
    }
}
