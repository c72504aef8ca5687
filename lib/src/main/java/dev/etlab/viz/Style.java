package dev.etlab.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The look shared by every chart: size, fonts, white background, anti-aliasing, and a fixed
 * colour per mechanism label, so "standard" is the same colour in every chart of a notebook.
 *
 * <p>Known mechanism names have fixed colours; a label that starts with one (e.g. "longformer
 * (dense mask)") is a <em>variant</em> of it: a colour of its own derived from the mechanism's (hue
 * turned, clearly darker or lighter), plus a dash pattern and a marker ({@link #variant}); any
 * other label gets the next unused palette colour the first time it is seen in this JVM, and keeps
 * it. {@link #setColor(String, Color)} overrides.
 */
public final class Style {
    private Style() {}

    /** Default chart size in pixels: readable at notebook width without scaling. */
    public static final int WIDTH = 720, HEIGHT = 420;
    /** Font family used for all text (a logical font: present on every JVM). */
    public static final String FONT = Font.SANS_SERIF;

    public static final Color TEXT = new Color(0x222222);
    public static final Color GRID = new Color(0xE4E4E4);
    public static final Color GUIDE = new Color(0x8A8A8A);
    public static final Color STANDARD = new Color(0x1F77B4);

    private static final Map<String, Color> FIXED = new LinkedHashMap<>();
    private static final Color[] PALETTE = {
        new Color(0xFF7F0E), new Color(0x2CA02C), new Color(0xD62728), new Color(0x9467BD), new Color(0x8C564B),
        new Color(0xE377C2), new Color(0x17BECF), new Color(0xBCBD22), new Color(0x7F7F7F), new Color(0x393B79),
        new Color(0xAD494A), new Color(0x637939), new Color(0x843C39), new Color(0x5254A3), new Color(0x8CA252),
    };
    private static final Map<String, Color> assigned = new LinkedHashMap<>();
    private static final Map<String, Integer> variantIndex = new HashMap<>();
    private static final Map<String, Integer> variantsOf = new HashMap<>();

    static {
        FIXED.put("standard", STANDARD);
        FIXED.put("linformer", new Color(0xFF7F0E));
        FIXED.put("performer", new Color(0x2CA02C));
        FIXED.put("longformer", new Color(0x9467BD));
        FIXED.put("bigbird", new Color(0x8C564B));
        FIXED.put("reformer", new Color(0xE377C2));
        FIXED.put("linear", new Color(0x17BECF));
        FIXED.put("nystromformer", new Color(0xBCBD22));
        FIXED.put("sparse", new Color(0xD62728));
        FIXED.put("local", new Color(0x393B79));
        FIXED.put("sliding", new Color(0x393B79));
        FIXED.put("synthesizer", new Color(0x637939));
        FIXED.put("cosformer", new Color(0xAD494A));
    }

    /** The colour of a series label (mechanism or run name); stable within the JVM. */
    public static synchronized Color colorFor(String label) {
        String key = key(label);
        Color c = assigned.get(key);
        if (c != null) return c;
        c = FIXED.get(key);
        int v = 0;
        if (c == null) {
            String base = baseOf(key);
            if (base != null) {
                v = variantsOf.merge(base, 1, Integer::sum);
                c = variantColor(FIXED.get(base), v);
            }
        }
        if (c == null) c = nextFree();
        assigned.put(key, c);
        variantIndex.put(key, v);
        return c;
    }

    /**
     * Which variant of its mechanism a label is: 0 for a mechanism's own name ("longformer") and for
     * labels of no known mechanism, 1, 2, … for further labels that start with a mechanism's name
     * ("longformer (dense mask)", "longformer w=4, no global"), in the order they were first seen.
     * Variants get colours of their own ({@link #colorFor}), and a dash pattern and a marker
     * ({@link #strokeFor}, {@link #markerFor}), so two variants in one chart never look alike.
     */
    public static synchronized int variant(String label) {
        colorFor(label);
        return variantIndex.getOrDefault(key(label), 0);
    }

    /** The line of a label's series: solid for variant 0, then dashed, dotted, dash-dot, … ({@link #variant}). */
    public static BasicStroke strokeFor(String label, float width) {
        int v = variant(label);
        return switch (v == 0 ? 0 : 1 + (v - 1) % 3) {
            case 0 -> solid(width);
            case 1 -> dashed(width);
            case 2 -> new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10f, new float[] {1f, 4.5f}, 0f);
            default -> new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {9f, 4f, 2f, 4f}, 0f);
        };
    }

    private static final Marker[] VARIANT_MARKERS = {
        SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND, SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN,
    };

    /** The marker of a label's series: circle for variant 0, then square, diamond, triangles ({@link #variant}). */
    public static Marker markerFor(String label) {
        return VARIANT_MARKERS[variant(label) % VARIANT_MARKERS.length];
    }

    /** Fixes the colour of a label for the rest of the session. */
    public static synchronized void setColor(String label, Color color) {
        assigned.put(key(label), color);
        variantIndex.putIfAbsent(key(label), 0);
    }

    private static String key(String label) {
        return label == null ? "" : label.trim().toLowerCase(Locale.ROOT);
    }

    /** The longest known mechanism name that {@code key} starts with, or null. */
    private static String baseOf(String key) {
        String best = null;
        for (String k : FIXED.keySet()) {
            if (key.startsWith(k) && (best == null || k.length() > best.length())) best = k;
        }
        return best;
    }

    private static Color nextFree() {
        for (Color p : PALETTE) {
            if (!assigned.containsValue(p) && !FIXED.containsValue(p)) return p;
        }
        for (Color p : PALETTE) {
            if (!assigned.containsValue(p)) return p;
        }
        return PALETTE[assigned.size() % PALETTE.length];
    }

    /**
     * Variant {@code v} ≥ 1 of a mechanism's colour: the first of a list of relatives of the base
     * colour (darker, lighter, hue turned by 25°, 45°, 70°, …) that differs from the base and from
     * variants 1 … v−1 by CIE ΔE ≥ {@value #VARIANT_DELTA_E} and stays readable on white, so that it
     * reads as kin of the mechanism's colour yet is told apart at a glance (see StyleTest).
     */
    static Color variantColor(Color base, int v) {
        float[] hsb = Color.RGBtoHSB(base.getRed(), base.getGreen(), base.getBlue(), null);
        List<Color> taken = new ArrayList<>(List.of(base));
        Color pick = base;
        for (int k = 1; k <= v; k++) {
            pick = null;
            double best = -1;
            Color farthest = base;
            for (float[] r : RELATIVES) {
                float h = hsb[0] + r[0] / 360f;
                h -= (float) Math.floor(h);
                Color c = Color.getHSBColor(h, Math.max(0.3f, Math.min(1f, Math.max(hsb[1], 0.5f) * r[1])), r[2]);
                if (deltaE(c, Color.WHITE) < 35) continue;                    // too pale to read on white
                double d = Double.POSITIVE_INFINITY;
                for (Color t : taken) d = Math.min(d, deltaE(c, t));
                if (d >= VARIANT_DELTA_E) {
                    pick = c;
                    break;
                }
                if (d > best) {
                    best = d;
                    farthest = c;
                }
            }
            if (pick == null) pick = farthest;
            taken.add(pick);
        }
        return pick;
    }

    /** Least colour difference between the variants of one mechanism (and the mechanism itself). */
    static final double VARIANT_DELTA_E = 25;

    /** Relatives of a colour, in order of preference: {hue turn in degrees, saturation factor, brightness}. */
    private static final float[][] RELATIVES = {
        {0f, 1f, 0.45f}, {0f, 0.55f, 0.95f}, {25f, 1f, 0.7f}, {-25f, 1f, 0.7f}, {0f, 1f, 0.25f}, {45f, 0.6f, 0.9f},
        {-45f, 1f, 0.45f}, {45f, 1f, 0.35f}, {-45f, 0.6f, 0.9f}, {70f, 1f, 0.6f}, {-70f, 1f, 0.6f}, {70f, 1f, 0.3f},
        {-70f, 1f, 0.3f}, {90f, 1f, 0.75f}, {-90f, 1f, 0.75f}, {180f, 1f, 0.6f},
    };

    /** CIE76 colour difference ΔE*ab between two sRGB colours (about 2.3 is just noticeable; 20+ is clearly different). */
    static double deltaE(Color a, Color b) {
        double[] p = lab(a), q = lab(b);
        return Math.sqrt(Math.pow(p[0] - q[0], 2) + Math.pow(p[1] - q[1], 2) + Math.pow(p[2] - q[2], 2));
    }

    private static double[] lab(Color c) {
        double r = linear(c.getRed()), g = linear(c.getGreen()), bl = linear(c.getBlue());
        double x = (0.4124 * r + 0.3576 * g + 0.1805 * bl) / 0.95047;
        double y = 0.2126 * r + 0.7152 * g + 0.0722 * bl;
        double z = (0.0193 * r + 0.1192 * g + 0.9505 * bl) / 1.08883;
        double fx = f(x), fy = f(y), fz = f(z);
        return new double[] {116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)};
    }

    private static double linear(int channel) {
        double v = channel / 255.0;
        return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    }

    private static double f(double t) {
        return t > 216.0 / 24389 ? Math.cbrt(t) : (24389.0 / 27 * t + 16) / 116;
    }

    /** The same colour with the given alpha (0–255). */
    public static Color alpha(Color c, int alpha) {
        return new Color(c.getRed(), c.getGreen(), c.getBlue(), alpha);
    }

    static Font font(int style, int size) {
        return new Font(FONT, style, size);
    }

    /** A dashed line of the given width. */
    static BasicStroke dashed(float width) {
        return new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {7f, 5f}, 0f);
    }

    static BasicStroke dotted(float width) {
        return new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10f, new float[] {1.5f, 4f}, 0f);
    }

    static BasicStroke solid(float width) {
        return new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    }

    /** Applies the house style to an axes chart's styler (also useful for charts built by hand). */
    public static void apply(AxesChartStyler s) {
        ensureHeadless();
        s.setAntiAlias(true);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(true);
        s.setPlotBorderColor(new Color(0xB0B0B0));
        s.setChartFontColor(TEXT);
        s.setChartTitleFont(font(Font.BOLD, 16));
        s.setChartTitleBoxVisible(false);
        s.setChartPadding(12);
        s.setAxisTitleFont(font(Font.PLAIN, 14));
        s.setAxisTickLabelsFont(font(Font.PLAIN, 12));
        s.setAxisTickLabelsColor(TEXT);
        s.setAxisTickMarksColor(new Color(0x999999));
        s.setPlotGridLinesColor(GRID);
        s.setPlotGridLinesStroke(new BasicStroke(1f));
        s.setPlotGridLinesVisible(true);
        s.setLegendFont(font(Font.PLAIN, 13));
        s.setLegendBackgroundColor(new Color(255, 255, 255, 225));
        s.setLegendBorderColor(new Color(0xCCCCCC));
        s.setLegendPosition(Styler.LegendPosition.InsideNW);
        s.setLegendPadding(6);
        s.setLegendSeriesLineLength(26);
        s.setMarkerSize(8);
        s.setPlotMargin(6);
        s.setAnnotationTextFont(font(Font.PLAIN, 12));
        s.setAnnotationTextFontColor(TEXT);
        s.setAnnotationTextPanelFont(font(Font.PLAIN, 12));
        s.setAnnotationTextPanelFontColor(new Color(0x444444));
        s.setAnnotationTextPanelBackgroundColor(new Color(255, 255, 255, 230));
        s.setAnnotationTextPanelBorderColor(new Color(0xCCCCCC));
        s.setToolTipsEnabled(false);
    }

    /**
     * Charts are drawn off screen, so AWT needs no display: when no display is configured and the
     * property is unset, {@code java.awt.headless=true} is set (a no-op once AWT has started).
     */
    static void ensureHeadless() {
        if (System.getProperty("java.awt.headless") == null && System.getenv("DISPLAY") == null
            && System.getenv("WAYLAND_DISPLAY") == null) {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            if (!os.contains("win") && !os.contains("mac")) System.setProperty("java.awt.headless", "true");
        }
    }
}
