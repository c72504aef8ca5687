package dev.etlab.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.attention.Masks;
import java.awt.Point;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class HeatmapTest {

    private static int rgb(BufferedImage img, Point p) {
        return img.getRGB(p.x, p.y) & 0xFFFFFF;
    }

    @Test
    void colourEndsSitAtMinAndMaxCells() throws Exception {
        INDArray m = Nd4j.arange(64).reshape(8, 8).castTo(DataType.FLOAT);
        Heatmap h = Heatmap.of(m).title("ramp");
        BufferedImage img = h.render();
        assertEquals(Colormap.VIRIDIS.lowRgb(), rgb(img, h.pixelOf(0, 0)));
        assertEquals(Colormap.VIRIDIS.highRgb(), rgb(img, h.pixelOf(7, 7)));
        assertEquals("ramp", img.getProperty("title"));
        ChartsTest.assertPng(Charts.save(img, VizFixtures.out("heatmap-ramp.png")), img.getWidth(), img.getHeight());
    }

    @Test
    void fixedRangeClampsValues() {
        Heatmap h = Heatmap.of(new double[][] {{-5, 0.5}, {2, 1}}).range(0, 1);
        BufferedImage img = h.render();
        assertEquals(Colormap.VIRIDIS.lowRgb(), rgb(img, h.pixelOf(0, 0)));
        assertEquals(Colormap.VIRIDIS.highRgb(), rgb(img, h.pixelOf(1, 0)));
        assertEquals(Colormap.VIRIDIS.rgb(0.5), rgb(img, h.pixelOf(0, 1)));
    }

    @Test
    void largeMatricesArePooledAndKeepThinDiagonals() {
        int n = 2048;
        INDArray eye = Nd4j.eye(n).castTo(DataType.FLOAT);
        long t0 = System.nanoTime();
        Heatmap h = Heatmap.of(eye).title("identity 2048");
        BufferedImage img = h.render();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(img.getWidth() < 800 && img.getHeight() < 800, img.getWidth() + "x" + img.getHeight());
        assertEquals(Colormap.VIRIDIS.highRgb(), rgb(img, h.pixelOf(1000, 1000)), "max pooling keeps the diagonal");
        assertEquals(Colormap.VIRIDIS.lowRgb(), rgb(img, h.pixelOf(1000, 10)));
        assertTrue(ms < 5000, "took " + ms + " ms");
    }

    @Test
    void tokenLabelsWidenTheImage() throws Exception {
        List<String> tokens = List.of("<s>", "the", "cat", "sat", "on", "the", "mat", ".", "it", "was", "warm", "</s>");
        INDArray w = Nd4j.rand(DataType.FLOAT, 12, 12);
        w.diviColumnVector(w.sum(1).reshape(12, 1));
        BufferedImage plain = Charts.heatmap(w, "weights");
        BufferedImage labelled = Charts.heatmap(w, "weights", tokens);
        assertTrue(labelled.getWidth() >= plain.getWidth());
        Charts.save(labelled, VizFixtures.out("heatmap-tokens.png"));
        assertThrows(IllegalArgumentException.class, () -> Heatmap.of(w).labels(List.of("a", "b")));
    }

    @Test
    void patternFromAdditiveMaskAndBooleans() throws Exception {
        INDArray causal = Masks.causalBias(16, 16, DataType.FLOAT);
        Heatmap h = Heatmap.pattern(causal).title("causal");
        BufferedImage img = h.render();
        assertEquals(Colormap.GREYS.highRgb(), rgb(img, h.pixelOf(5, 2)), "allowed");
        assertEquals(Colormap.GREYS.lowRgb(), rgb(img, h.pixelOf(2, 5)), "masked");
        Charts.save(img, VizFixtures.out("pattern-causal.png"));

        int n = 32, w = 3;
        boolean[][] sliding = new boolean[n][n], dilated = new boolean[n][n], global = new boolean[n][n], strided = new boolean[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                sliding[i][j] = Math.abs(i - j) <= w;
                dilated[i][j] = Math.abs(i - j) <= 2 * w && (i - j) % 2 == 0;
                global[i][j] = sliding[i][j] || i < 2 || j < 2;
                strided[i][j] = j <= i && (i - j < 4 || (j % 4) == 3);
            }
        }
        Heatmap s = Heatmap.pattern(sliding);
        BufferedImage si = s.render();
        assertEquals(Colormap.GREYS.highRgb(), rgb(si, s.pixelOf(10, 13)));
        assertEquals(Colormap.GREYS.lowRgb(), rgb(si, s.pixelOf(10, 14)));
        BufferedImage grid = Charts.patternGrid(List.of(sliding, dilated, global, strided),
            List.of("sliding window w=3", "dilated d=2", "global + window", "strided"), 2);
        Charts.save(grid, VizFixtures.out("pattern-grid.png"));
    }

    @Test
    void headsAndGrid() throws Exception {
        INDArray att = Nd4j.rand(DataType.FLOAT, 2, 4, 16, 16);
        List<INDArray> heads = Charts.heads(att, 1);
        assertEquals(4, heads.size());
        assertEquals(List.of(16L, 16L), List.of(heads.get(0).shape()[0], heads.get(0).shape()[1]));
        assertEquals(att.getDouble(1, 2, 3, 4), heads.get(2).getDouble(3, 4), 0);
        BufferedImage g = Charts.heatmapGrid(heads, null, 2, "layer 0");
        Charts.save(g, VizFixtures.out("heatmap-grid.png"));
        List<INDArray> eight = new ArrayList<>();
        for (int i = 0; i < 8; i++) eight.add(Nd4j.rand(DataType.FLOAT, 64, 64));
        Charts.save(Charts.heatmapGrid(eight, null, 4), VizFixtures.out("heatmap-grid8.png"));
        assertThrows(IllegalArgumentException.class, () -> Heatmap.of(att));
    }

    @Test
    void colormapInterpolates() {
        assertEquals(0x440154, Colormap.VIRIDIS.rgb(0));
        assertEquals(0xFDE725, Colormap.VIRIDIS.rgb(1));
        assertEquals(0x21908C, Colormap.VIRIDIS.rgb(0.5));
        assertEquals(Colormap.NAN_RGB, Colormap.VIRIDIS.rgb(Double.NaN));
        assertEquals(0x440154, Colormap.VIRIDIS.rgb(-3));
        // luminance rises monotonically along viridis
        double last = -1;
        for (int i = 0; i <= 20; i++) {
            int c = Colormap.VIRIDIS.rgb(i / 20.0);
            double l = 0.2126 * ((c >> 16) & 255) + 0.7152 * ((c >> 8) & 255) + 0.0722 * (c & 255);
            assertTrue(l > last, "luminance at " + i);
            last = l;
        }
    }

    @Test
    void ticksAreNice() {
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), Heatmap.ticks(12));
        assertEquals(List.of(0, 5, 10, 15, 20, 25, 30), Heatmap.ticks(32));
        assertEquals(List.of(0, 500, 1000, 1500, 2000), Heatmap.ticks(2048));
        assertEquals(List.of(0), Heatmap.ticks(1));
    }
}
