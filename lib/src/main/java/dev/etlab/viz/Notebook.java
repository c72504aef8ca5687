package dev.etlab.viz;

import dev.etlab.bench.Metric;
import java.awt.image.BufferedImage;
import java.awt.image.RenderedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.imageio.ImageIO;
import org.knowm.xchart.internal.chartpart.Chart;
import tech.tablesaw.api.Table;

/**
 * The bridge to the Jupyter kernel (JJava, or IJava 1.3), found by reflection: the library does
 * not depend on kernel jars. The same code works in a plain {@code main}: outside a notebook,
 * charts and images are saved as PNG files under {@link #plotsDir()} and the path is printed;
 * tables and HTML are printed as text.
 *
 * <pre>{@code
 * String id = Notebook.show(Charts.complexity(points, Metric.TIME, Mode.FORWARD));  // image/png
 * Notebook.show(heatmapImage);                      // a BufferedImage
 * Notebook.show(history.table());                   // HTML table, first 20 rows
 * Notebook.table(history.table(), 5);               // first 5 rows
 * Notebook.html("<b>done</b>");
 * Notebook.update(id, otherChart);                  // replace an output in place
 * Notebook.show(chart, Path.of("figures/fig1.png")); // also (always) saved to that file
 * }</pre>
 */
public final class Notebook {
    private Notebook() {}

    private static volatile KernelBridge.Sink sink;
    private static volatile boolean detected;
    /** Display ids handed out outside a notebook (file paths) → the file they stand for. */
    private static final Map<String, Path> files = new ConcurrentHashMap<>();
    private static final Map<String, Integer> names = new ConcurrentHashMap<>();

    static KernelBridge.Sink sink() {
        if (!detected) {
            synchronized (Notebook.class) {
                if (!detected) {
                    sink = KernelBridge.detect();
                    detected = true;
                }
            }
        }
        return sink;
    }

    /** For tests: routes displays to {@code s} (null: none, as on a console); {@link #redetect()} undoes it. */
    static synchronized void useSink(KernelBridge.Sink s) {
        sink = s;
        detected = true;
    }

    /** Forgets the kernel found so far, so the next call looks again. */
    static synchronized void redetect() {
        sink = null;
        detected = false;
    }

    /**
     * True only when a Jupyter Java kernel is running in this JVM (its classes are present and its
     * kernel instance is set). Never displays anything to find out.
     */
    public static boolean active() {
        return sink() != null;
    }

    /** Which kernel is running: "JJava", "IJava", or "none". */
    public static String kernelName() {
        KernelBridge.Sink s = sink();
        return s == null ? "none" : s.name();
    }

    /**
     * Where charts go outside a notebook: system property {@code etlab.plots.dir}, else environment
     * variable {@code ETLAB_PLOTS_DIR}, else {@code build/plots} under the working directory.
     */
    public static Path plotsDir() {
        String p = System.getProperty("etlab.plots.dir");
        if (p == null || p.isBlank()) p = System.getenv("ETLAB_PLOTS_DIR");
        if (p == null || p.isBlank()) p = "build/plots";
        return Paths.get(p);
    }

    /**
     * Shows an object: an XChart chart or an image as {@code image/png}, a Tablesaw table as an HTML
     * table (first {@link Tables#DEFAULT_ROWS} rows), anything else as text. Outside a notebook,
     * charts and images are saved under {@link #plotsDir()} (the path is printed) and anything else
     * is printed. Returns nothing, so a notebook cell ending with it shows no stray value; use
     * {@link #display} for an output to {@link #update} later.
     */
    public static void show(Object o) {
        display(o);
    }

    /**
     * As {@link #show(Object)}, returning the display id to pass to {@link #update}; outside a
     * notebook, the saved PNG's path (or null for printed text).
     */
    public static String display(Object o) {
        KernelBridge.Sink s = sink();
        if (s != null) return s.display(bundle(o));
        if (isImage(o)) {
            Path file = uniqueFile(nameOf(o));
            save(o, file);
            return file.toString();
        }
        System.out.println(textOf(o));
        return null;
    }

    /** Shows an object and, for charts and images, also writes the PNG to {@code file} (in a notebook as well, so figures can be kept). */
    public static void show(Object o, Path file) {
        if (file != null && isImage(o)) {
            save(o, file);
            KernelBridge.Sink s = sink();
            if (s != null) {
                s.display(bundle(o));
                return;
            }
            files.put(file.toString(), file);
            System.out.println("saved " + file.toAbsolutePath());
            return;
        }
        show(o);
    }

    /** Shows an HTML fragment (as text with tags stripped outside a notebook). */
    public static void html(String html) {
        displayHtml(html);
    }

    /** As {@link #html}, returning the display id for {@link #updateHtml} (null outside a notebook). */
    public static String displayHtml(String html) {
        KernelBridge.Sink s = sink();
        if (s != null) return s.display(htmlBundle(html));
        System.out.println(stripTags(html));
        return null;
    }

    /** Shows a table with at most {@code maxRows} rows (HTML in a notebook, aligned text outside). */
    public static void table(Table t, int maxRows) {
        KernelBridge.Sink s = sink();
        if (s != null) {
            s.display(tableBundle(t, maxRows));
            return;
        }
        System.out.print(Tables.text(t, maxRows));
    }

    /**
     * Replaces the output {@code id} (from {@link #display}) with {@code o}, in place. Outside a notebook,
     * an id that is a saved PNG's path is overwritten with the new chart or image; otherwise the
     * object is printed.
     */
    public static void update(String id, Object o) {
        KernelBridge.Sink s = sink();
        if (s != null && id != null) {
            s.update(id, bundle(o));
            return;
        }
        if (id != null && isImage(o) && files.containsKey(id)) {
            writePng(toImage(o), files.get(id));
            return;
        }
        if (!isImage(o)) System.out.println(textOf(o));
    }

    /** Replaces the output {@code id} with an HTML fragment. */
    public static void updateHtml(String id, String html) {
        KernelBridge.Sink s = sink();
        if (s != null && id != null) s.update(id, htmlBundle(html));
        else System.out.println(stripTags(html));
    }

    // ---------------------------------------------------------------- bundles

    /** The MIME bundle for an object, as the kernel receives it (images as base64 PNG). */
    static Map<String, String> bundle(Object o) {
        if (o instanceof Table t) return tableBundle(t, Tables.DEFAULT_ROWS);
        if (isImage(o)) {
            BufferedImage img = toImage(o);
            Map<String, String> b = new LinkedHashMap<>();
            b.put("image/png", Base64.getEncoder().encodeToString(png(img)));
            b.put("text/plain", describe(o, img));
            return b;
        }
        Map<String, String> b = new LinkedHashMap<>();
        b.put("text/plain", String.valueOf(o));
        return b;
    }

    static Map<String, String> htmlBundle(String html) {
        Map<String, String> b = new LinkedHashMap<>();
        b.put("text/html", html);
        b.put("text/plain", stripTags(html));
        return b;
    }

    static Map<String, String> tableBundle(Table t, int maxRows) {
        Map<String, String> b = new LinkedHashMap<>();
        b.put("text/html", Tables.html(t, maxRows));
        b.put("text/plain", Tables.text(t, maxRows));
        return b;
    }

    private static boolean isImage(Object o) {
        return o instanceof Chart<?, ?> || o instanceof RenderedImage;
    }

    private static BufferedImage toImage(Object o) {
        if (o instanceof Chart<?, ?> c) return Charts.toImage(c);
        if (o instanceof BufferedImage b) return b;
        if (o instanceof RenderedImage r) {
            BufferedImage b = new BufferedImage(r.getWidth(), r.getHeight(), BufferedImage.TYPE_INT_ARGB);
            b.createGraphics().drawRenderedImage(r, new java.awt.geom.AffineTransform());
            return b;
        }
        throw new IllegalArgumentException("not an image: " + o);
    }

    private static void save(Object o, Path file) {
        writePng(toImage(o), file);
    }

    static void writePng(BufferedImage img, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.write(file, png(img));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static byte[] png(BufferedImage img) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
            if (!ImageIO.write(img, "png", out)) throw new IllegalStateException("no PNG writer");
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String describe(Object o, BufferedImage img) {
        String title = o instanceof Chart<?, ?> c ? c.getTitle() : null;
        String size = img.getWidth() + "×" + img.getHeight();
        return title == null || title.isBlank() ? "[image " + size + "]" : "[chart " + size + ": " + title + "]";
    }

    private static String textOf(Object o) {
        if (o instanceof Table t) return Tables.text(t, Tables.DEFAULT_ROWS);
        return String.valueOf(o);
    }

    private static String nameOf(Object o) {
        String title = o instanceof Chart<?, ?> c ? c.getTitle() : null;
        if (o instanceof BufferedImage b && b.getProperty("title") instanceof String t) title = t;
        String slug = slug(title);
        return slug.isEmpty() ? "plot" : slug;
    }

    /** A file name made of the title: lower case letters, digits and dashes. */
    static String slug(String title) {
        if (title == null) return "";
        String s = title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-+|-+$)", "");
        return s.length() > 60 ? s.substring(0, 60).replaceAll("-+$", "") : s;
    }

    private static Path uniqueFile(String base) {
        int n = names.merge(base, 1, Integer::sum);
        Path file = plotsDir().resolve(n == 1 ? base + ".png" : base + "-" + n + ".png");
        files.put(file.toString(), file);
        System.out.println("saved " + file.toAbsolutePath());
        return file;
    }

    static String stripTags(String html) {
        return html == null ? "" : html.replaceAll("(?s)<[^>]*>", " ").replace("&lt;", "<").replace("&gt;", ">")
            .replace("&quot;", "\"").replace("&amp;", "&").replaceAll("[ \\t]+", " ").trim();
    }
}
