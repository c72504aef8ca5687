package dev.etlab.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;

/**
 * The look shared by every chart: size, fonts, white background, anti-aliasing, and a fixed
 * colour per mechanism label, so "standard" is the same colour in every chart of a notebook.
 *
 * <p>Known mechanism names have fixed colours; a label that starts with one (e.g. "longformer
 * (dense mask)") gets a shade of it; any other label gets the next unused palette colour the
 * first time it is seen in this JVM, and keeps it. {@link #setColor(String, Color)} overrides.
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
        if (c == null) {
            for (Map.Entry<String, Color> e : FIXED.entrySet()) {
                if (key.startsWith(e.getKey())) {
                    c = shade(e.getValue(), key.hashCode());
                    break;
                }
            }
        }
        if (c == null) c = nextFree();
        assigned.put(key, c);
        return c;
    }

    /** Fixes the colour of a label for the rest of the session. */
    public static synchronized void setColor(String label, Color color) {
        assigned.put(key(label), color);
    }

    private static String key(String label) {
        return label == null ? "" : label.trim().toLowerCase(Locale.ROOT);
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

    /** A darker or lighter version of a base colour, for labelled variants of a mechanism. */
    private static Color shade(Color base, int seed) {
        float[] hsb = Color.RGBtoHSB(base.getRed(), base.getGreen(), base.getBlue(), null);
        float shift = (Math.floorMod(seed, 2) == 0 ? -0.22f : 0.18f);
        float b = Math.max(0.25f, Math.min(1f, hsb[2] + shift));
        float s = Math.max(0.2f, Math.min(1f, hsb[1] + (shift < 0 ? 0.05f : -0.15f)));
        return Color.getHSBColor(hsb[0], s, b);
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
