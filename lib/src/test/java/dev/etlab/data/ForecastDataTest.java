package dev.etlab.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

class ForecastDataTest {

    static double autocorrelation(double[] z, int lag) {
        double mean = java.util.Arrays.stream(z).average().orElseThrow(), num = 0, den = 0;
        for (int i = 0; i < z.length; i++) den += (z[i] - mean) * (z[i] - mean);
        for (int i = lag; i < z.length; i++) num += (z[i] - mean) * (z[i - lag] - mean);
        return num / den;
    }

    @Test
    void electricityLikeSeriesAreSeededNonNegativeAndDailyAndWeeklySeasonal() {
        List<TimeSeries> a = SeriesGenerator.electricityLike(6, 24 * 7 * 8, 3), b = SeriesGenerator.electricityLike(6, 24 * 7 * 8, 3);
        assertArrayEquals(a.get(4).values(), b.get(4).values(), "same seed, same series");
        assertTrue(a.get(0).values()[100] != SeriesGenerator.electricityLike(6, 24 * 7 * 8, 4).get(0).values()[100], "another seed differs");
        for (TimeSeries s : a) {
            assertTrue(java.util.Arrays.stream(s.values()).allMatch(v -> v >= 0), "loads are never negative");
            double day = autocorrelation(s.values(), 24), half = autocorrelation(s.values(), 12);
            assertTrue(day > half + 0.2, s.name() + ": lag-24 autocorrelation " + day + " vs lag-12 " + half);
        }
        assertArrayEquals(new int[] {24, 168}, a.get(0).periods());
    }

    @Test
    void longDependencyHorizonAmplitudeIsTheLargerOfTheFirstTwo() {
        int t0 = 96;
        for (TimeSeries s : SeriesGenerator.longDependency(20, t0, 5)) {
            assertEquals(t0 + 24, s.length());
            // amplitudes by least squares on sin(πx/6) (first two blocks) and sin(πx/12) (horizon); noise sd 1
            double a1 = amplitude(s, 0, 12, 6), a2 = amplitude(s, 12, 24, 6), a4 = amplitude(s, t0, t0 + 24, 12);
            assertEquals(Math.max(a1, a2), a4, 2.0, s.name() + ": A4 = max(A1, A2)");
        }
    }

    static double amplitude(TimeSeries s, int from, int to, int half) {
        double num = 0, den = 0;
        for (int x = from; x < to; x++) {
            double b = Math.sin(Math.PI * x / half);
            num += (s.at(x) - 72) * b;
            den += b * b;
        }
        return num / den;
    }

    @Test
    void rollingSplitsKeepTrainingBeforeValidationBeforeTestAndStandardiseByTheContext() {
        List<TimeSeries> series = SeriesGenerator.electricityLike(3, 24 * 7 * 10, 1);
        ForecastData data = ForecastData.rolling("e", series, 48, 12, 0.6, 0.2, 7);
        int n = series.get(0).length(), trainEnd = (int) (n * 0.6), valEnd = (int) (n * 0.8);
        for (int i = 0; i < 50; i++) {
            for (ForecastData.Window w : data.trainWindows(8, i)) assertTrue(w.start() + data.length() <= trainEnd, "training window " + w + " ends by " + trainEnd);
        }
        for (ForecastData.Window w : data.windows(Split.VALIDATION)) {
            assertTrue(w.start() + data.context() >= trainEnd && w.start() + data.length() <= valEnd, "validation horizon of " + w);
        }
        for (ForecastData.Window w : data.windows(Split.TEST)) assertTrue(w.start() + data.context() >= valEnd, "test horizon of " + w);
        assertEquals(3 * ((n - valEnd) / 12), data.windows(Split.TEST).size(), "rolling test origins, one every horizon");

        ForecastBatch batch = data.trainBatch(4, 0);
        assertArrayEquals(new long[] {4, 60, 5}, batch.inputs().shape(), "F = lagged value + sin/cos of 2 periods");
        float[][] target = batch.targets().toFloatMatrix();
        for (int i = 0; i < 4; i++) {
            double mean = 0, sq = 0;
            for (int t = 0; t < 48; t++) mean += target[i][t] / 48.0;
            for (int t = 0; t < 48; t++) sq += (target[i][t] - mean) * (target[i][t] - mean) / 48.0;
            assertEquals(0, mean, 1e-4, "context mean 0");
            assertEquals(1, Math.sqrt(sq), 1e-4, "context standard deviation 1");
            assertEquals(0f, batch.inputs().getFloat(i, 0, 0), "no value before the first step");
            for (int t = 1; t < 60; t++) assertEquals(target[i][t - 1], batch.inputs().getFloat(i, t, 0), 1e-6, "input t is the value at t - 1");
        }
        assertEquals(0f, batch.lossMask().getFloat(0, 0));
        assertEquals(59.0 * 4, batch.lossMask().sumNumber().doubleValue());
        assertEquals(data.trainBatch(4, 3).inputs(), data.trainBatch(4, 3).inputs(), "a batch is a pure function of its index");
    }

    @Test
    void instancesKeepTheirSetsApartAndLaggedWindowsMatchTheBatches() {
        ForecastData data = ForecastData.instances("s", SeriesGenerator.longDependency(10, 24, 1),
            SeriesGenerator.longDependency(3, 24, 2), SeriesGenerator.longDependency(4, 24, 3), 24, 24, 1);
        Set<Integer> train = new HashSet<>();
        for (int i = 0; i < 20; i++) data.trainWindows(5, i).forEach(w -> train.add(w.series()));
        assertTrue(train.stream().allMatch(i -> i < 10) && train.size() == 10, "training draws only (and all of) the training series: " + train);
        assertEquals(4, data.windows(Split.TEST).size());
        ForecastData.Lagged lagged = data.lagged(Split.TEST, 12, 100);
        assertEquals(4, lagged.inputs().length);
        assertEquals(12 + 4, lagged.inputs()[0].length, "12 lags + sin/cos of 2 periods");
        double[] raw = data.values(data.windows(Split.TEST).get(2));
        for (int h = 0; h < 24; h++) assertEquals(raw[24 + h], lagged.truth()[2][h], 1e-9);
        ForecastBatch batch = data.batch(List.of(data.windows(Split.TEST).get(2)));
        assertEquals(batch.inputs().getDouble(0, 24, 0), lagged.inputs()[2][11], 1e-5, "the last lag is the last context value");
    }

    @Test
    void co2FileIsReadWithGapsInterpolated(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("co2.csv");
        Files.writeString(csv, "date,co2\n19580329,316.1\n19580405,\n19580412,\n19580419,317.0\n");
        TimeSeries s = RealSeries.readCo2(csv);
        assertArrayEquals(new double[] {316.1, 316.4, 316.7, 317.0}, s.values(), 1e-9);
        Files.writeString(csv, "year,value\n1,2\n");
        String msg = assertThrows(IllegalArgumentException.class, () -> RealSeries.readCo2(csv)).getMessage();
        assertEquals("series file header = year,value: expected date,co2", msg);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RealSeries.readCo2(dir.resolve("none.csv"))).getMessage()
            .contains("expected an existing file; run environment/setup.sh"));
    }

    @Test
    void badArgumentsAreRejectedWithClearMessages() {
        List<TimeSeries> s = SeriesGenerator.electricityLike(1, 24 * 7 * 4, 1);
        assertEquals("context = 1: expected at least 2 steps (its mean and spread scale the window)",
            assertThrows(IllegalArgumentException.class, () -> ForecastData.rolling("e", s, 1, 4, 0.6, 0.2, 1)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ForecastData.rolling("e", s, 24, 4, 0.8, 0.2, 1)).getMessage()
            .startsWith("fractions = 0.8 and 0.2: expected"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ForecastData.rolling("e", s, 600, 24, 0.6, 0.2, 1)).getMessage()
            .startsWith("trainFraction = 0.6: expected a training part of at least one window"));
        assertEquals("t0 = 12: expected at least 24 (the two amplitudes A1, A2 occupy the first 24 steps)",
            assertThrows(IllegalArgumentException.class, () -> SeriesGenerator.longDependency(3, 12, 1)).getMessage());
        assertEquals("values[1] = NaN: expected a finite number (fill gaps before)",
            assertThrows(IllegalArgumentException.class, () -> new TimeSeries("x", new double[] {1, Double.NaN}, new int[0])).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ForecastData.instances("s", SeriesGenerator.longDependency(2, 24, 1),
            SeriesGenerator.longDependency(1, 24, 2), SeriesGenerator.longDependency(1, 24, 3), 40, 24, 1)).getMessage()
            .contains("expected at least context + horizon = 64"));
        assertEquals(DataType.FLOAT, ForecastData.instances("s", SeriesGenerator.longDependency(2, 24, 1), SeriesGenerator.longDependency(1, 24, 2),
            SeriesGenerator.longDependency(1, 24, 3), 24, 24, 1).trainBatch(2, 0).inputs().dataType());
    }
}
