package dev.etlab.speech;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class LogMelTest {

    /** The definition, O(n²): X[k] = Σ_t x[t] e^{-2πikt/n}. Returns {re, im}. */
    static double[][] naiveDft(double[] re, double[] im) {
        int n = re.length;
        double[][] out = new double[2][n];
        for (int k = 0; k < n; k++) {
            for (int t = 0; t < n; t++) {
                double a = -2 * Math.PI * ((long) k * t % n) / n;
                out[0][k] += re[t] * Math.cos(a) - im[t] * Math.sin(a);
                out[1][k] += re[t] * Math.sin(a) + im[t] * Math.cos(a);
            }
        }
        return out;
    }

    static double[] uniform(Random r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = 2 * r.nextDouble() - 1;
        return x;
    }

    @Test
    void complexFftEqualsTheNaiveDft() {
        Random r = new Random(1);
        for (int n : new int[] {1, 2, 4, 8, 64, 512}) {
            double[] re = uniform(r, n), im = uniform(r, n);
            double[][] want = naiveDft(re, im);
            new Fft(n).forward(re, im);
            assertArrayEquals(want[0], re, 1e-9, "re, n = " + n);
            assertArrayEquals(want[1], im, 1e-9, "im, n = " + n);
        }
    }

    @Test
    void realFftEqualsTheNaiveDftsFirstHalfAndPowerIsItsSquaredMagnitude() {
        Random r = new Random(2);
        for (int n : new int[] {2, 4, 16, 1024}) {
            double[] x = uniform(r, n);
            double[][] want = naiveDft(x, new double[n]);
            RealFft fft = new RealFft(n);
            double[] re = new double[n / 2 + 1], im = new double[n / 2 + 1], power = new double[n / 2 + 1];
            fft.forward(x, re, im);
            fft.power(x, power);
            for (int k = 0; k <= n / 2; k++) {
                assertEquals(want[0][k], re[k], 1e-9, "re[" + k + "], n = " + n);
                assertEquals(want[1][k], im[k], 1e-9, "im[" + k + "], n = " + n);
                assertEquals(want[0][k] * want[0][k] + want[1][k] * want[1][k], power[k], 1e-8, "power[" + k + "], n = " + n);
            }
        }
    }

    @Test
    void melScaleIsHtksAndInvertible() {
        assertEquals(2595 * Math.log10(1 + 1000 / 700.0), MelFilterbank.hzToMel(1000), 1e-12);
        assertEquals(999.9848, MelFilterbank.hzToMel(1000), 1e-3, "1000 Hz ≈ 1000 mel on HTK's scale");
        for (double f : new double[] {0, 123.4, 4000, 11025}) assertEquals(f, MelFilterbank.melToHz(MelFilterbank.hzToMel(f)), 1e-9);
    }

    @Test
    void filterRowsAreNonNegativeTrianglesPeakingNextToTheirCentres() {
        MelFilterbank fb = LogMel.defaults().filterbank();
        assertEquals(80, fb.nMels());
        assertEquals(513, fb.bins());
        double previous = -1;
        for (int m = 0; m < fb.nMels(); m++) {
            int peak = 0;
            double sum = 0;
            for (int k = 0; k < fb.bins(); k++) {
                double w = fb.weight(m, k);
                assertTrue(w >= 0 && w <= 1, "weight(" + m + ", " + k + ") = " + w);
                if (w > fb.weight(m, peak)) peak = k;
                sum += w;
            }
            assertTrue(sum > 0, "row " + m + " is not all zero");
            double c = fb.centreHz(m), binWidth = fb.binHz(1);
            assertTrue(Math.abs(fb.binHz(peak) - c) <= binWidth, "row " + m + " peaks at " + fb.binHz(peak) + " Hz, centre " + c + " Hz");
            assertTrue(c > previous, "centres increase");
            previous = c;
        }
        assertEquals(8000, MelFilterbank.melToHz(MelFilterbank.hzToMel(fb.centreHz(79)) + (MelFilterbank.hzToMel(8000) - MelFilterbank.hzToMel(0)) / 81), 1e-6,
            "the last filter ends at fMax");
        INDArray w = fb.weights();
        assertArrayEquals(new long[] {80, 513}, w.shape());
        assertEquals(DataType.FLOAT, w.dataType());
    }

    @Test
    void aSineLandsInTheMelBinCentredOnItsFrequency() {
        LogMel lm = LogMel.defaults();
        for (int m : new int[] {10, 25, 40, 60, 75}) {
            double f = lm.filterbank().centreHz(m);
            float[] x = new float[22_050 / 4];
            for (int i = 0; i < x.length; i++) x[i] = (float) (0.5 * Math.sin(2 * Math.PI * f * i / 22_050));
            float[][] y = lm.compute(x);
            for (float[] frame : y) {
                int best = 0;
                for (int k = 1; k < frame.length; k++) if (frame[k] > frame[best]) best = k;
                assertEquals(m, best, "sine at " + f + " Hz");
            }
        }
    }

    @Test
    void frameCountIsOnePlusWholeHopsAfterTheFirstWindow() {
        LogMel lm = LogMel.defaults();
        LogMelConfig c = lm.config();
        assertEquals(551, c.window());
        assertEquals(220, c.hop());
        assertEquals(1024, c.nFft());
        assertEquals(1, lm.frames(551));
        assertEquals(1, lm.frames(770));
        assertEquals(2, lm.frames(771));
        assertEquals(1 + (22_050 - 551) / 220, lm.frames(22_050));
        assertEquals(lm.frames(5000), lm.apply(new float[5000]).size(0));
        INDArray y = lm.apply(new float[5000]);
        assertArrayEquals(new long[] {lm.frames(5000), 80}, y.shape());
        assertEquals(DataType.FLOAT, y.dataType());
        assertEquals((float) Math.log(1e-10), y.getFloat(0, 0), 1e-4, "silence sits at the floor");
    }

    @Test
    void sameAudioSameFeatures() {
        float[] x = new float[8000];
        Random r = new Random(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * 0.1f;
        LogMel a = LogMel.defaults(), b = new LogMel(LogMelConfig.defaults());
        assertArrayEquals(a.compute(x), b.compute(x));
        assertEquals(64, new LogMel(LogMelConfig.defaults().withMels(64)).compute(x)[0].length);
    }

    @Test
    void badInputsSayWhatWasExpected() {
        LogMel lm = LogMel.defaults();
        assertEquals("audio = 0 samples (empty): expected at least one window of 551 samples (25.0 ms at 22050 Hz)",
            assertThrows(IllegalArgumentException.class, () -> lm.compute(new float[0])).getMessage());
        assertEquals("audio = 550 samples: expected at least one window of 551 samples (25.0 ms at 22050 Hz); pad or drop shorter clips",
            assertThrows(IllegalArgumentException.class, () -> lm.compute(new float[550])).getMessage());
        assertEquals("nFft = 1000: expected a power of two, at least 2 (the FFT is radix 2)",
            assertThrows(IllegalArgumentException.class, () -> new LogMelConfig(22_050, 551, 220, 1000, 80, 0, 8000, 1e-10)).getMessage());
        assertEquals("window = 1025: expected a frame length in [2, nFft = 1024] samples",
            assertThrows(IllegalArgumentException.class, () -> new LogMelConfig(22_050, 1025, 220, 1024, 80, 0, 8000, 1e-10)).getMessage());
        assertEquals("nMels = 0: expected at least 1 mel filter",
            assertThrows(IllegalArgumentException.class, () -> LogMelConfig.defaults().withMels(0)).getMessage());
        assertEquals("fMax = 12000.0: expected a frequency in (0, 11025.0] Hz: at most the Nyquist frequency of sampleRate = 22050",
            assertThrows(IllegalArgumentException.class, () -> new LogMelConfig(22_050, 551, 220, 1024, 80, 0, 12_000, 1e-10)).getMessage());
        assertEquals("n = 12: expected a power of two (1, 2, 4, …) for the radix-2 FFT",
            assertThrows(IllegalArgumentException.class, () -> new Fft(12)).getMessage());
        var tooMany = assertThrows(IllegalArgumentException.class, () -> new LogMel(LogMelConfig.defaults().withMels(400)));
        assertTrue(tooMany.getMessage().startsWith("nMels = 400: expected few enough filters that each covers an FFT bin"), tooMany.getMessage());
    }
}
