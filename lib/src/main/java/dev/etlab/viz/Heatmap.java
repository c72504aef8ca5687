package dev.etlab.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Point;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Draws a matrix (an attention map: rows are queries, columns keys) straight into a
 * {@link BufferedImage}: a colour-mapped cell grid, axis ticks or token labels, a title and a
 * colour bar with the value range. Matrices larger than the drawing area are reduced by pooling
 * blocks of cells (max by default, so thin diagonals survive). Also draws 0/1 attention
 * <em>patterns</em> (which keys each query may attend to) with their density.
 *
 * <pre>{@code
 * BufferedImage img = Heatmap.of(weights).title("layer 0, head 3").labels(tokens).render();
 * Heatmap.of(weights).range(0, 1).colormap(Colormap.MAGMA).pooling(Heatmap.Pool.MEAN).render();
 * Heatmap h = Heatmap.of(weights); BufferedImage i = h.render(); Point p = h.pixelOf(3, 5); // centre of cell (3,5)
 * BufferedImage pat = Heatmap.pattern(Masks.causalBias(16, 16, DataType.FLOAT)).title("causal").render();
 * }</pre>
 */
public final class Heatmap {

    /** How a block of cells is reduced to one pixel when the matrix is larger than the drawing. */
    public enum Pool { MAX, MEAN }

    private final double[][] v;
    private final int rows, cols;
    private String title;
    private List<String> rowLabels, colLabels;
    private Colormap cmap = Colormap.VIRIDIS;
    private double lo = Double.NaN, hi = Double.NaN;
    private int maxSide = 480;
    private Pool pool = Pool.MAX;
    private boolean colorbar = true;
    private boolean pattern;
    private String xTitle = "key position", yTitle = "query position";

    // Layout of the last render, for pixelOf.
    private int ox, oy, cell, factor;

    private Heatmap(double[][] v) {
        if (v.length == 0 || v[0].length == 0) throw new IllegalArgumentException("empty matrix");
        for (double[] r : v) {
            if (r.length != v[0].length) throw new IllegalArgumentException("ragged matrix");
        }
        this.v = v;
        this.rows = v.length;
        this.cols = v[0].length;
    }

    /** A heatmap of a (T, S) matrix; leading dimensions of size 1 are dropped, e.g. (1, 1, T, S). */
    public static Heatmap of(INDArray m) {
        return new Heatmap(matrix(m));
    }

    /** A heatmap of rows × columns values. */
    public static Heatmap of(double[][] m) {
        return new Heatmap(m);
    }

    /**
     * An attention pattern: which keys each query may attend to. Accepts a 0/1 (or boolean) mask,
     * an additive bias (0 allowed, large negative such as {@code Masks.NEG} masked), or attention
     * weights (nonzero means attended).
     */
    public static Heatmap pattern(INDArray mask) {
        return pattern(allowed(matrix(mask)));
    }

    /** An attention pattern from a boolean matrix: {@code allowed[q][k]} = query q may attend to key k. */
    public static Heatmap pattern(boolean[][] allowed) {
        double[][] d = new double[allowed.length][];
        for (int i = 0; i < allowed.length; i++) {
            d[i] = new double[allowed[i].length];
            for (int j = 0; j < allowed[i].length; j++) d[i][j] = allowed[i][j] ? 1 : 0;
        }
        Heatmap h = new Heatmap(d);
        h.pattern = true;
        h.cmap = Colormap.GREYS;
        h.lo = 0;
        h.hi = 1;
        h.pool = Pool.MEAN;
        return h;
    }

    public Heatmap title(String t) {
        this.title = t;
        return this;
    }

    /** Token labels for both axes (self-attention); drawn when the matrix has at most 64 rows/columns. */
    public Heatmap labels(List<String> tokens) {
        return labels(tokens, tokens);
    }

    /** Query (row) and key (column) labels; either may be null. */
    public Heatmap labels(List<String> queries, List<String> keys) {
        if (queries != null && queries.size() != rows) {
            throw new IllegalArgumentException(queries.size() + " row labels for " + rows + " rows");
        }
        if (keys != null && keys.size() != cols) {
            throw new IllegalArgumentException(keys.size() + " column labels for " + cols + " columns");
        }
        this.rowLabels = queries;
        this.colLabels = keys;
        return this;
    }

    public Heatmap colormap(Colormap c) {
        this.cmap = c;
        return this;
    }

    /** Fixes the value range mapped to the colormap's ends (default: the data's min and max). */
    public Heatmap range(double low, double high) {
        if (!(high > low)) throw new IllegalArgumentException("range needs low < high: " + low + ", " + high);
        this.lo = low;
        this.hi = high;
        return this;
    }

    /** Largest side of the cell grid in pixels (default 480); bigger matrices are pooled. */
    public Heatmap maxSide(int px) {
        this.maxSide = Math.max(16, px);
        return this;
    }

    public Heatmap pooling(Pool p) {
        this.pool = p;
        return this;
    }

    public Heatmap colorbar(boolean show) {
        this.colorbar = show;
        return this;
    }

    /** Axis titles (default "key position" / "query position"); null hides one. */
    public Heatmap axisTitles(String x, String y) {
        this.xTitle = x;
        this.yTitle = y;
        return this;
    }

    // ------------------------------------------------------------------ data

    /** A rank-2 view of an INDArray as double[rows][cols]; leading size-1 dimensions dropped. */
    static double[][] matrix(INDArray m) {
        long[] s = m.shape();
        if (s.length == 1) return new double[][] {m.castTo(DataType.DOUBLE).toDoubleVector()};
        for (int i = 0; i < s.length - 2; i++) {
            if (s[i] != 1) {
                throw new IllegalArgumentException("expected a (T, S) matrix, got shape " + java.util.Arrays.toString(s)
                    + "; pick one map first, e.g. Charts.heads(weights, 0).get(h)");
            }
        }
        INDArray two = s.length == 2 ? m : m.reshape(s[s.length - 2], s[s.length - 1]);
        return two.castTo(DataType.DOUBLE).toDoubleMatrix();
    }

    static boolean[][] allowed(double[][] m) {
        double min = Double.POSITIVE_INFINITY;
        boolean binary = true;
        for (double[] r : m) {
            for (double x : r) {
                min = Math.min(min, x);
                if (x != 0 && x != 1) binary = false;
            }
        }
        boolean additive = min < -1e3 || min == Double.NEGATIVE_INFINITY;
        boolean[][] a = new boolean[m.length][m[0].length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[i].length; j++) {
                double x = m[i][j];
                a[i][j] = additive ? x > -1e3 : binary ? x > 0.5 : x != 0 && !Double.isNaN(x);
            }
        }
        return a;
    }

    private double[][] pooled(int f) {
        if (f == 1) return v;
        int r = (rows + f - 1) / f, c = (cols + f - 1) / f;
        double[][] p = new double[r][c];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                double acc = pool == Pool.MAX ? Double.NEGATIVE_INFINITY : 0;
                int n = 0;
                for (int a = i * f; a < Math.min(rows, (i + 1) * f); a++) {
                    for (int b = j * f; b < Math.min(cols, (j + 1) * f); b++) {
                        double x = v[a][b];
                        if (Double.isNaN(x)) continue;
                        acc = pool == Pool.MAX ? Math.max(acc, x) : acc + x;
                        n++;
                    }
                }
                p[i][j] = n == 0 ? Double.NaN : pool == Pool.MAX ? acc : acc / n;
            }
        }
        return p;
    }

    /** [min, max] of the finite values. */
    static double[] finiteRange(double[][] m) {
        double a = Double.POSITIVE_INFINITY, b = Double.NEGATIVE_INFINITY;
        for (double[] r : m) {
            for (double x : r) {
                if (Double.isFinite(x)) {
                    a = Math.min(a, x);
                    b = Math.max(b, x);
                }
            }
        }
        if (a > b) return new double[] {0, 1};
        if (a == b) return new double[] {a - 0.5, a + 0.5};
        return new double[] {a, b};
    }

    double[] effectiveRange() {
        if (!Double.isNaN(lo) && !Double.isNaN(hi)) return new double[] {lo, hi};
        return finiteRange(v);
    }

    // ------------------------------------------------------------------ drawing

    private static final Font TITLE = Style.font(Font.BOLD, 14);
    private static final Font SMALL = Style.font(Font.PLAIN, 11);
    private static final Font AXIS = Style.font(Font.PLAIN, 12);
    private static final Color FRAME = new Color(0x888888);

    private boolean showRowLabels() {
        return rowLabels != null && rows <= 64;
    }

    private boolean showColLabels() {
        return colLabels != null && cols <= 64;
    }

    /** Draws the heatmap. */
    public BufferedImage render() {
        Style.ensureHeadless();
        double[] range = effectiveRange();
        int f = Math.max(1, (int) Math.ceil(Math.max(rows, cols) / (double) maxSide));
        if (showRowLabels() || showColLabels()) f = 1;
        double[][] p = pooled(f);
        int r = p.length, c = p[0].length;
        int cs = Math.max(1, Math.min(60, maxSide / Math.max(r, c)));
        if (showRowLabels() || showColLabels()) cs = Math.max(cs, 13);
        int mw = c * cs, mh = r * cs;

        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics sm = pg.getFontMetrics(SMALL), am = pg.getFontMetrics(AXIS), tm = pg.getFontMetrics(TITLE);
        pg.dispose();

        // Left: y title, then row labels or tick numbers.
        int rowTextW = 0;
        if (showRowLabels()) for (String s : rowLabels) rowTextW = Math.max(rowTextW, sm.stringWidth(s));
        else rowTextW = sm.stringWidth(String.valueOf(rows - 1));
        int left = 10 + (yTitle != null ? am.getHeight() + 4 : 0) + rowTextW + 8;
        // Bottom: column labels (vertical) or tick numbers, then x title.
        int colTextH = 0;
        if (showColLabels()) for (String s : colLabels) colTextH = Math.max(colTextH, sm.stringWidth(s));
        else colTextH = sm.getHeight();
        int bottom = 6 + colTextH + 6 + (xTitle != null ? am.getHeight() + 4 : 0) + 6;
        int top = 10 + (title != null ? tm.getHeight() + 6 : 0);
        String[] legend = pattern ? patternLegend() : null;
        int right = 14;
        if (pattern && colorbar) {
            int w = 0;
            for (String s : legend) w = Math.max(w, sm.stringWidth(s));
            right = 16 + 14 + 6 + w + 12;
        } else if (colorbar) {
            right = 16 + 14 + 6 + Math.max(sm.stringWidth(Tables.format(range[0])), sm.stringWidth(Tables.format(range[1]))) + 12;
        }
        int width = left + mw + right;
        int minH = pattern && colorbar ? 16 * legend.length + 8 : 0;
        int height = top + Math.max(mh, minH) + bottom;
        if (title != null) width = Math.max(width, tm.stringWidth(title) + 20);

        Hashtable<String, Object> props = new Hashtable<>();
        if (title != null) props.put("title", title);
        BufferedImage rgb = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        BufferedImage img = new BufferedImage(rgb.getColorModel(), rgb.getRaster(), false, props);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);

        // Cells, written as one pixel block.
        int[] buf = new int[mw * mh];
        double span = range[1] - range[0];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                int col = cmap.rgb((p[i][j] - range[0]) / span);
                for (int y = i * cs; y < (i + 1) * cs; y++) java.util.Arrays.fill(buf, y * mw + j * cs, y * mw + (j + 1) * cs, col);
            }
        }
        int x0 = left, y0 = top;
        img.setRGB(x0, y0, mw, mh, buf, 0, mw);
        this.ox = x0;
        this.oy = y0;
        this.cell = cs;
        this.factor = f;

        if (pattern && cs >= 6) {
            g.setColor(new Color(0xCFCFCF));
            g.setStroke(new BasicStroke(1f));
            for (int i = 1; i < r; i++) g.drawLine(x0, y0 + i * cs, x0 + mw - 1, y0 + i * cs);
            for (int j = 1; j < c; j++) g.drawLine(x0 + j * cs, y0, x0 + j * cs, y0 + mh - 1);
        }
        g.setColor(FRAME);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x0 - 1, y0 - 1, mw + 1, mh + 1);

        g.setColor(Style.TEXT);
        if (title != null) {
            g.setFont(TITLE);
            g.drawString(title, Math.max(10, x0 + (mw - tm.stringWidth(title)) / 2), 10 + tm.getAscent());
        }
        g.setFont(SMALL);
        // Row labels or ticks.
        if (showRowLabels()) {
            for (int i = 0; i < rows; i++) {
                String s = rowLabels.get(i);
                g.drawString(s, x0 - 6 - sm.stringWidth(s), y0 + i * cs + (cs + sm.getAscent() - sm.getDescent()) / 2);
            }
        } else {
            for (int t : ticks(rows)) {
                int y = y0 + (t / f) * cs + cs / 2;
                String s = String.valueOf(t);
                g.drawLine(x0 - 4, y, x0 - 1, y);
                g.drawString(s, x0 - 6 - sm.stringWidth(s), y + (sm.getAscent() - sm.getDescent()) / 2);
            }
        }
        int colTextTop = y0 + mh + 6;
        if (showColLabels()) {
            AffineTransform saved = g.getTransform();
            for (int j = 0; j < cols; j++) {
                String s = colLabels.get(j);
                int x = x0 + j * cs + (cs + sm.getAscent() - sm.getDescent()) / 2;
                g.setTransform(saved);
                g.translate(x, colTextTop + sm.stringWidth(s));
                g.rotate(-Math.PI / 2);
                g.drawString(s, 0, 0);
            }
            g.setTransform(saved);
        } else {
            for (int t : ticks(cols)) {
                int x = x0 + (t / f) * cs + cs / 2;
                String s = String.valueOf(t);
                g.drawLine(x, y0 + mh, x, y0 + mh + 3);
                g.drawString(s, x - sm.stringWidth(s) / 2, colTextTop + sm.getAscent());
            }
        }
        g.setFont(AXIS);
        if (xTitle != null) {
            g.drawString(xTitle, x0 + (mw - am.stringWidth(xTitle)) / 2, colTextTop + colTextH + 6 + am.getAscent());
        }
        if (yTitle != null) {
            AffineTransform saved = g.getTransform();
            g.translate(10 + am.getAscent(), y0 + (mh + am.stringWidth(yTitle)) / 2);
            g.rotate(-Math.PI / 2);
            g.drawString(yTitle, 0, 0);
            g.setTransform(saved);
        }
        if (colorbar) {
            int bx = x0 + mw + 16;
            if (pattern) drawPatternLegend(g, bx, y0, legend);
            else drawColorbar(g, cmap, bx, y0, Math.max(mh, 60), range[0], range[1]);
        }
        g.dispose();
        return img;
    }

    /** Pixel at the centre of cell (row, col) of the last {@link #render()} (after pooling, the block holding it). */
    public Point pixelOf(int row, int col) {
        if (cell == 0) throw new IllegalStateException("render() first");
        return new Point(ox + (col / factor) * cell + cell / 2, oy + (row / factor) * cell + cell / 2);
    }

    /** The colour bar: a vertical gradient, high at the top, with max / middle / min labels. */
    static void drawColorbar(Graphics2D g, Colormap cmap, int x, int y, int h, double lo, double hi) {
        int w = 14;
        for (int i = 0; i < h; i++) {
            double t = 1 - i / (double) Math.max(1, h - 1);
            g.setColor(new Color(cmap.rgb(t)));
            g.fillRect(x, y + i, w, 1);
        }
        g.setColor(FRAME);
        g.drawRect(x, y, w - 1, h - 1);
        g.setColor(Style.TEXT);
        g.setFont(SMALL);
        FontMetrics fm = g.getFontMetrics();
        int tx = x + w + 5;
        g.drawString(Tables.format(hi), tx, y + fm.getAscent() - 1);
        g.drawString(Tables.format(lo), tx, y + h);
        if (h >= 90) g.drawString(Tables.format((lo + hi) / 2), tx, y + h / 2 + (fm.getAscent() - fm.getDescent()) / 2);
    }

    private String[] patternLegend() {
        long allowed = 0;
        int minRow = Integer.MAX_VALUE, maxRow = 0;
        for (double[] r : v) {
            int n = 0;
            for (double x : r) if (x > 0.5) n++;
            allowed += n;
            minRow = Math.min(minRow, n);
            maxRow = Math.max(maxRow, n);
        }
        double density = allowed / ((double) rows * cols);
        String perQuery = minRow == maxRow ? String.valueOf(minRow) : minRow + "–" + maxRow;
        return new String[] {"attends", "masked",
            String.format(java.util.Locale.ROOT, "density %.1f%%", 100 * density),
            "keys/query " + perQuery,
            rows + " × " + cols};
    }

    private static void drawPatternLegend(Graphics2D g, int x, int y, String[] lines) {
        g.setFont(SMALL);
        FontMetrics fm = g.getFontMetrics();
        int line = 16;
        for (int i = 0; i < lines.length; i++) {
            int ty = y + i * line + fm.getAscent();
            if (i < 2) {
                g.setColor(new Color(i == 0 ? Colormap.GREYS.highRgb() : Colormap.GREYS.lowRgb()));
                g.fillRect(x, y + i * line + 1, 12, 12);
                g.setColor(FRAME);
                g.drawRect(x, y + i * line + 1, 11, 11);
                g.setColor(Style.TEXT);
                g.drawString(lines[i], x + 18, ty);
            } else {
                g.setColor(new Color(0x555555));
                g.drawString(lines[i], x, ty + 4);
            }
        }
    }

    /** Every position up to 16, else about five "nice" tick positions in [0, n). */
    static List<Integer> ticks(int n) {
        List<Integer> t = new ArrayList<>();
        if (n <= 16) {
            for (int i = 0; i < Math.max(1, n); i++) t.add(i);
            return t;
        }
        double raw = n / 5.0;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        int step = (int) Math.max(1, Math.round(raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag));
        for (int i = 0; i < n; i += step) t.add(i);
        return t;
    }

    /**
     * Several heatmaps side by side (e.g. all heads of a layer), {@code columns} per row, sharing one
     * value range and one colour bar so heads compare fairly.
     */
    static BufferedImage grid(List<double[][]> maps, List<String> titles, int columns, String title, Colormap cmap, boolean patterns) {
        if (maps.isEmpty()) throw new IllegalArgumentException("no maps");
        if (titles != null && titles.size() != maps.size()) {
            throw new IllegalArgumentException(titles.size() + " titles for " + maps.size() + " maps");
        }
        int cols = Math.max(1, Math.min(columns, maps.size()));
        int side = cols <= 2 ? 340 : cols <= 4 ? 230 : 170;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[][] m : maps) {
            double[] r = finiteRange(m);
            lo = Math.min(lo, r[0]);
            hi = Math.max(hi, r[1]);
        }
        List<BufferedImage> tiles = new ArrayList<>();
        int tw = 0, th = 0;
        for (int i = 0; i < maps.size(); i++) {
            Heatmap h = patterns ? pattern(allowed(maps.get(i))) : of(maps.get(i)).colormap(cmap).range(lo, hi);
            h.maxSide(side).colorbar(patterns).axisTitles(null, null);
            h.title(titles != null ? titles.get(i) : "#" + i);
            BufferedImage t = h.render();
            tiles.add(t);
            tw = Math.max(tw, t.getWidth());
            th = Math.max(th, t.getHeight());
        }
        int gridRows = (maps.size() + cols - 1) / cols;
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        FontMetrics tm = probe.createGraphics().getFontMetrics(TITLE);
        FontMetrics sm = probe.createGraphics().getFontMetrics(SMALL);
        int top = title != null ? tm.getHeight() + 14 : 4;
        int barW = patterns ? 0 : 16 + 14 + 6 + Math.max(sm.stringWidth(Tables.format(lo)), sm.stringWidth(Tables.format(hi))) + 12;
        int width = cols * tw + barW, height = top + gridRows * th;
        Hashtable<String, Object> props = new Hashtable<>();
        if (title != null) props.put("title", title);
        BufferedImage rgb = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        BufferedImage img = new BufferedImage(rgb.getColorModel(), rgb.getRaster(), false, props);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        for (int i = 0; i < tiles.size(); i++) {
            g.drawImage(tiles.get(i), (i % cols) * tw, top + (i / cols) * th, null);
        }
        if (title != null) {
            g.setColor(Style.TEXT);
            g.setFont(TITLE);
            g.drawString(title, Math.max(8, (cols * tw - tm.stringWidth(title)) / 2), 8 + tm.getAscent());
        }
        if (!patterns) drawColorbar(g, cmap, cols * tw + 16, top + 34, Math.max(60, th - 80), lo, hi);
        g.dispose();
        return img;
    }
}
