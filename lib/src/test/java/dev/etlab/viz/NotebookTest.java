package dev.etlab.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.lang.reflect.Field;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;

class NotebookTest {

    @AfterEach
    void reset() {
        Notebook.redetect();
        System.clearProperty("etlab.plots.dir");
    }

    private static XYChart chart(String title) {
        return Charts.line(title, "x", "y", "standard", new double[] {1, 2, 3}, new double[] {1, 4, 9});
    }

    @Test
    void noKernelInATestJvm() {
        Notebook.redetect();
        assertFalse(Notebook.active());
        assertEquals("none", Notebook.kernelName());
    }

    @Test
    void chartsArriveAsPngDisplayData() throws Exception {
        RecordingSink sink = new RecordingSink();
        Notebook.useSink(sink);
        assertTrue(Notebook.active());
        String id = Notebook.display(chart("squares"));
        assertEquals("id-1", id);
        Map<String, String> b = sink.last().bundle();
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(b.get("image/png"))));
        assertEquals(Style.WIDTH, img.getWidth());
        assertEquals(Style.HEIGHT, img.getHeight());
        assertEquals("[chart 720×420: squares]", b.get("text/plain"));

        Notebook.update(id, chart("cubes"));
        assertEquals("update_display_data", sink.last().kind());
        assertEquals(id, sink.last().id());
        assertTrue(sink.last().bundle().containsKey("image/png"));

        Notebook.show(new BufferedImage(10, 20, BufferedImage.TYPE_INT_RGB));
        assertEquals("[image 10×20]", sink.last().bundle().get("text/plain"));
    }

    @Test
    void tablesAndHtml() {
        RecordingSink sink = new RecordingSink();
        Notebook.useSink(sink);
        Notebook.show(TablesTest.sample(40));
        String html = sink.last().bundle().get("text/html");
        assertTrue(html.startsWith("<table"));
        assertTrue(html.contains("20 more rows"));
        Notebook.table(TablesTest.sample(40), 3);
        assertTrue(sink.last().bundle().get("text/html").contains("37 more rows"));
        assertTrue(sink.last().bundle().get("text/plain").contains("mechanism"));
        Notebook.html("<b>bold</b> &amp; more");
        assertEquals("<b>bold</b> &amp; more", sink.last().bundle().get("text/html"));
        assertEquals("bold & more", sink.last().bundle().get("text/plain"));
    }

    @Test
    void outsideANotebookChartsBecomeFiles(@TempDir Path dir) throws Exception {
        Notebook.useSink(null);
        System.setProperty("etlab.plots.dir", dir.toString());
        String id = Notebook.display(chart("Forward time: standard"));
        Path file = dir.resolve("forward-time-standard.png");
        assertEquals(file.toString(), id);
        ChartsTest.assertPng(file, Style.WIDTH, Style.HEIGHT);
        String second = Notebook.display(chart("Forward time: standard"));
        assertEquals(dir.resolve("forward-time-standard-2.png").toString(), second);

        long before = Files.size(file);
        Notebook.update(id, Charts.line("other", "x", "y", "linformer", new double[] {1, 2, 3, 4}, new double[] {2, 2, 2, 2}));
        assertTrue(Files.size(file) != before, "update rewrites the file");

        Path chosen = dir.resolve("sub/fig.png");
        Notebook.show(chart("x"), chosen);
        ChartsTest.assertPng(chosen, Style.WIDTH, Style.HEIGHT);

        assertNull(Notebook.display(TablesTest.sample(2)), "text output outside a notebook has no id");
        assertNull(Notebook.displayHtml("<i>hi</i>"));
    }

    @Test
    void slugs() {
        assertEquals("forward-time-vs-sequence-length-b-4-d-128-h-4",
            Notebook.slug("Forward time vs sequence length (B=4, d=128, h=4)"));
        assertEquals("", Notebook.slug(null));
    }

    // ---------------------------------------------------------------- the reflective path, with stand-in kernel classes

    private static final String KERNEL = """
        package org.dflib.jjava.jupyter.kernel;
        import org.dflib.jjava.jupyter.kernel.display.DisplayData;
        public class BaseKernel {
            public static final java.util.List<Object[]> LOG = new java.util.ArrayList<>();
            public static BaseKernel instance;
            public static BaseKernel notebookKernel() {
                return java.util.Objects.requireNonNull(instance, "No kernel running");
            }
            public void display(DisplayData d) { LOG.add(new Object[] {"display", d.getDisplayId(), d}); }
            public JupyterIO getIO() { return new JupyterIO(); }
        }
        """;
    private static final String IO = """
        package org.dflib.jjava.jupyter.kernel;
        public class JupyterIO {
            public final DisplayStream display = new DisplayStream();
        }
        """;
    private static final String STREAM = """
        package org.dflib.jjava.jupyter.kernel;
        import org.dflib.jjava.jupyter.kernel.display.DisplayData;
        public class DisplayStream {
            public void updateDisplay(String id, DisplayData d) { BaseKernel.LOG.add(new Object[] {"update", id, d}); }
        }
        """;
    private static final String DATA = """
        package org.dflib.jjava.jupyter.kernel.display;
        public class DisplayData {
            public final java.util.Map<String, Object> data = new java.util.LinkedHashMap<>();
            private String id;
            public DisplayData() {}
            public void putHTML(String s) { data.put("text/html", s); }
            public void putText(String s) { data.put("text/plain", s); }
            public void putData(String mime, Object o) { data.put(mime, o); }
            public DisplayData setDisplayId(String id) { this.id = id; return this; }
            public String getDisplayId() { return id; }
        }
        """;

    private static Path compileStandIns(Path dir) throws Exception {
        Path src = dir.resolve("src"), out = dir.resolve("classes");
        Files.createDirectories(out);
        String[][] files = {
            {"org/dflib/jjava/jupyter/kernel/BaseKernel.java", KERNEL},
            {"org/dflib/jjava/jupyter/kernel/JupyterIO.java", IO},
            {"org/dflib/jjava/jupyter/kernel/DisplayStream.java", STREAM},
            {"org/dflib/jjava/jupyter/kernel/display/DisplayData.java", DATA},
        };
        List<String> args = new java.util.ArrayList<>(List.of("-d", out.toString()));
        for (String[] f : files) {
            Path p = src.resolve(f[0]);
            Files.createDirectories(p.getParent());
            Files.writeString(p, f[1]);
            args.add(p.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "tests need a JDK");
        assertEquals(0, javac.run(null, null, null, args.toArray(String[]::new)));
        return out;
    }

    @Test
    void reflectiveBridgeNeedsARunningKernel(@TempDir Path dir) throws Exception {
        Path classes = compileStandIns(dir);
        ClassLoader saved = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader kernelLoader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, saved)) {
            Thread.currentThread().setContextClassLoader(kernelLoader);
            // Classes present, no kernel instance: not a notebook.
            assertNull(KernelBridge.detect());

            Class<?> kernel = kernelLoader.loadClass("org.dflib.jjava.jupyter.kernel.BaseKernel");
            kernel.getField("instance").set(null, kernel.getConstructor().newInstance());
            KernelBridge.Sink sink = KernelBridge.detect();
            assertNotNull(sink);
            assertEquals("JJava", sink.name());

            Notebook.useSink(sink);
            String id = Notebook.display(chart("via reflection"));
            @SuppressWarnings("unchecked")
            List<Object[]> log = (List<Object[]>) kernel.getField("LOG").get(null);
            assertEquals(1, log.size());
            assertEquals(id, log.get(0)[1]);
            Object data = log.get(0)[2];
            Field f = data.getClass().getField("data");
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) f.get(data);
            assertTrue(((String) m.get("image/png")).startsWith("iVBORw0KGgo"), "base64 PNG");

            try (Progress p = ProgressBars.start("reflective", 3)) {
                p.update(3, "done");
            }
            assertTrue(log.size() >= 3);
            assertEquals("update", log.get(log.size() - 1)[0]);
            assertEquals(log.get(1)[1], log.get(log.size() - 1)[1], "one display, updated in place");
        } finally {
            Thread.currentThread().setContextClassLoader(saved);
        }
    }
}
