package dev.etlab.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.train.History;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

class TrainingCurvesTest {

    /** A history filled through the trainer's package-private recorders. */
    static History history(String label, int steps, double floor, long seed) throws Exception {
        History h = new History(label);
        Method add = History.class.getDeclaredMethod("addStep", int.class, double.class, double.class, double.class, double.class, double.class);
        Method val = History.class.getDeclaredMethod("addValidation", double.class, double.class);
        add.setAccessible(true);
        val.setAccessible(true);
        Random r = new Random(seed);
        for (int s = 1; s <= steps; s++) {
            double loss = floor + 2.0 * Math.exp(-s / 60.0) + 0.15 * r.nextGaussian();
            double acc = Math.min(1, Math.max(0, 1 - loss / 3 + 0.03 * r.nextGaussian()));
            add.invoke(h, s, loss, acc, 1e-3, 5000.0, s * 0.05);
            if (s % 50 == 0) val.invoke(h, floor + 2.0 * Math.exp(-s / 60.0), 1 - (floor + 2.0 * Math.exp(-s / 60.0)) / 3);
        }
        return h;
    }

    @Test
    void oneSeriesPerRunWithFaintRawCurves() throws Exception {
        List<History> runs = List.of(history("standard", 300, 0.3, 1), history("linformer", 300, 0.45, 2));
        XYChart c = Charts.trainingCurves(runs, XAxis.STEP, History.LOSS, 0.9);
        assertTrue(c.getSeriesMap().containsKey("standard"));
        assertTrue(c.getSeriesMap().containsKey("linformer"));
        XYSeries raw = c.getSeriesMap().get("standard (raw)");
        assertFalse(raw.isShowInLegend());
        assertEquals(Style.STANDARD.getRGB() & 0xFFFFFF, raw.getLineColor().getRGB() & 0xFFFFFF);
        assertTrue(raw.getLineColor().getAlpha() < 255);
        assertTrue(c.getTitle().contains("EMA"));
        ChartsTest.assertPng(Charts.save(c, VizFixtures.out("curves-loss.png")), Style.WIDTH, Style.HEIGHT);
    }

    @Test
    void validationColumnsSkipNaNAndAreNotSmoothed() throws Exception {
        List<History> runs = List.of(history("standard", 300, 0.3, 1), history("performer", 300, 0.4, 3));
        XYChart c = Charts.trainingCurves(runs, XAxis.WALL_SECONDS, History.VAL_ACCURACY, 0.9);
        XYSeries s = c.getSeriesMap().get("standard");
        assertEquals(6, s.getXData().length);
        assertEquals(2.5, s.getXData()[0], 1e-9);
        assertFalse(c.getSeriesMap().containsKey("standard (raw)"));
        assertEquals("wall time (s)", c.getXAxisTitle());
        ChartsTest.assertPng(Charts.save(c, VizFixtures.out("curves-val-acc.png")), Style.WIDTH, Style.HEIGHT);
    }

    @Test
    void emaIsBiasCorrected() {
        assertArrayEquals(new double[] {5, 5, 5}, Charts.ema(new double[] {5, 5, 5}, 0.9), 1e-12);
        double[] e = Charts.ema(new double[] {0, 10}, 0.5);
        assertEquals(0, e[0], 1e-12);
        assertEquals(10 * 0.5 / 0.75, e[1], 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Charts.trainingCurves(List.of(), XAxis.STEP, History.LOSS, 1.0));
    }

    @Test
    void duplicateLabelsStayDistinct() throws Exception {
        XYChart c = Charts.trainingCurves(List.of(history("standard", 20, 0.3, 1), history("standard", 20, 0.3, 2)),
            XAxis.STEP, History.ACCURACY);
        assertTrue(c.getSeriesMap().containsKey("standard (2)"));
        Charts.toImage(Charts.trainingCurves(List.of(), XAxis.STEP, History.LOSS));
    }
}
