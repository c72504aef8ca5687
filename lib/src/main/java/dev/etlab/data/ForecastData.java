package dev.etlab.data;

import dev.etlab.Check;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Forecasting windows cut from series: the model conditions on {@code context} steps (t0) and predicts the next
 * {@code horizon} (Li et al. 2019, Section 3: "given the previous t0 steps, predict the next τ").
 *
 * <p>Two ways to split, never mixing a test window into training:
 * <ul>
 *   <li>{@link #rolling}: long series cut in time — training windows lie wholly in the first part of every
 *       series, validation horizons in the next, test horizons at the end (rolling, one every {@code horizon} steps);</li>
 *   <li>{@link #instances}: many short series, each one window, in three disjoint sets (the synthetic experiment).</li>
 * </ul>
 * Each window is standardised by its context's mean and standard deviation (the latter floored at
 * 1e-3·(1 + |mean|)); metrics are computed back in the series' own units.
 */
public final class ForecastData {

    /** A window: which series, and the step where it starts. */
    public record Window(int series, int start) {}

    private final String name;
    private final List<TimeSeries> series;
    private final int context, horizon, features;
    private final List<Window> train, validation, test;
    private final boolean sampleStarts;  // rolling: training windows start anywhere in [0, trainEnd − T]
    private final int trainEnd;
    private final long seed;

    private ForecastData(String name, List<TimeSeries> series, int context, int horizon, List<Window> train,
                         List<Window> validation, List<Window> test, boolean sampleStarts, int trainEnd, long seed) {
        this.name = name;
        this.series = List.copyOf(series);
        this.context = context;
        this.horizon = horizon;
        this.features = 1 + series.get(0).covariateCount();
        this.train = train;
        this.validation = validation;
        this.test = test;
        this.sampleStarts = sampleStarts;
        this.trainEnd = trainEnd;
        this.seed = seed;
        for (TimeSeries s : series) {
            Check.arg(s.covariateCount() == features - 1, "series " + s.name() + " periods", java.util.Arrays.toString(s.periods()),
                "the same periods as the first series " + java.util.Arrays.toString(series.get(0).periods()));
        }
        Check.arg(!validation.isEmpty() && !test.isEmpty(), "series", series.size() + " series of length " + series.get(0).length(),
            "enough data for at least one validation and one test window of " + length() + " steps");
    }

    /**
     * Long series split in time: steps [0, trainFraction·n) train, then validation, then test.
     * Validation and test windows are the rolling origins h0 = split start, + horizon, …; a window's context may
     * reach back into the earlier part (it is only conditioned on, never predicted).
     */
    public static ForecastData rolling(String name, List<TimeSeries> series, int context, int horizon,
                                       double trainFraction, double validationFraction, long seed) {
        checkLengths(context, horizon);
        Check.arg(series != null && !series.isEmpty(), "series", series == null ? null : "an empty list", "at least one series");
        Check.arg(trainFraction > 0 && validationFraction > 0 && trainFraction + validationFraction < 1, "fractions",
            trainFraction + " and " + validationFraction, "train and validation fractions > 0 that leave a test part");
        int n = series.get(0).length();
        for (TimeSeries s : series) Check.arg(s.length() == n, "series " + s.name() + " length", s.length(), n + " like the first");
        int trainEnd = (int) (n * trainFraction), validationEnd = (int) (n * (trainFraction + validationFraction));
        Check.arg(trainEnd >= context + horizon, "trainFraction", trainFraction,
            "a training part of at least one window (" + (context + horizon) + " steps); it has " + trainEnd);
        List<Window> val = new ArrayList<>(), tst = new ArrayList<>();  // origin by origin, every series at each (so a prefix covers all series)
        for (int h0 = Math.max(trainEnd, context); h0 + horizon <= validationEnd; h0 += horizon)
            for (int i = 0; i < series.size(); i++) val.add(new Window(i, h0 - context));
        for (int h0 = Math.max(validationEnd, context); h0 + horizon <= n; h0 += horizon)
            for (int i = 0; i < series.size(); i++) tst.add(new Window(i, h0 - context));
        return new ForecastData(name, series, context, horizon, List.of(), val, tst, true, trainEnd, seed);
    }

    /** Many short series, one window each (from step 0), in three disjoint sets. */
    public static ForecastData instances(String name, List<TimeSeries> train, List<TimeSeries> validation, List<TimeSeries> test,
                                         int context, int horizon, long seed) {
        checkLengths(context, horizon);
        List<TimeSeries> all = new ArrayList<>(train);
        all.addAll(validation);
        all.addAll(test);
        for (TimeSeries s : all) Check.arg(s.length() >= context + horizon, "series " + s.name() + " length", s.length(),
            "at least context + horizon = " + (context + horizon));
        List<Window> tr = new ArrayList<>(), va = new ArrayList<>(), te = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            List<Window> into = i < train.size() ? tr : i < train.size() + validation.size() ? va : te;
            into.add(new Window(i, 0));
        }
        Check.arg(!tr.isEmpty(), "train", "an empty list", "at least one training series");
        return new ForecastData(name, all, context, horizon, tr, va, te, false, 0, seed);
    }

    private static void checkLengths(int context, int horizon) {
        Check.arg(context >= 2, "context", context, "at least 2 steps (its mean and spread scale the window)");
        Check.positive("horizon", horizon);
    }

    public String name() { return name; }
    public int context() { return context; }
    public int horizon() { return horizon; }
    /** T = context + horizon. */
    public int length() { return context + horizon; }
    /** F: the lagged value plus 2 covariates per seasonal period. */
    public int features() { return features; }
    public List<TimeSeries> series() { return series; }

    /** The held-out windows of a split (for TRAIN: the fixed windows of {@link #instances}; rolling data samples them). */
    public List<Window> windows(Split split) {
        return switch (split) {
            case TRAIN -> train;
            case VALIDATION -> validation;
            case TEST -> test;
        };
    }

    /** Training batch number {@code index}: random windows, a pure function of (seed, batchSize, index). */
    public ForecastBatch trainBatch(int batchSize, long index) {
        return batch(trainWindows(batchSize, index));
    }

    /** The windows of training batch {@code index} (see {@link #trainBatch}). */
    public List<Window> trainWindows(int batchSize, long index) {
        Check.positive("batchSize", batchSize);
        Random rng = new Random(seed * 1_000_003L + index * 7919L + batchSize);
        List<Window> out = new ArrayList<>(batchSize);
        for (int b = 0; b < batchSize; b++) {
            out.add(sampleStarts ? new Window(rng.nextInt(series.size()), rng.nextInt(trainEnd - length() + 1))
                : train.get(rng.nextInt(train.size())));
        }
        return out;
    }

    /** A split's fixed windows in batches of {@code batchSize} (the last may be smaller); at most {@code maxWindows}. */
    public List<ForecastBatch> heldOut(Split split, int batchSize, int maxWindows) {
        Check.positive("batchSize", batchSize);
        List<Window> all = windows(split);
        all = all.subList(0, Math.min(all.size(), maxWindows));
        List<ForecastBatch> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i += batchSize) out.add(batch(all.subList(i, Math.min(all.size(), i + batchSize))));
        return out;
    }

    /** Standardised inputs, targets and scales of some windows. */
    public ForecastBatch batch(List<Window> windows) {
        int b = windows.size(), t = length();
        float[] in = new float[b * t * features], target = new float[b * t], mask = new float[b * t];
        float[] shifts = new float[b], scales = new float[b];
        for (int i = 0; i < b; i++) {
            Window w = windows.get(i);
            TimeSeries s = series.get(w.series());
            double[] stats = contextStats(s, w.start());
            shifts[i] = (float) stats[0];
            scales[i] = (float) stats[1];
            for (int j = 0; j < t; j++) {
                int row = (i * t + j) * features;
                in[row] = j == 0 ? 0f : (float) ((s.at(w.start() + j - 1) - stats[0]) / stats[1]);
                double[] cov = s.covariates(w.start() + j);
                for (int c = 0; c < cov.length; c++) in[row + 1 + c] = (float) cov[c];
                target[i * t + j] = (float) ((s.at(w.start() + j) - stats[0]) / stats[1]);
                mask[i * t + j] = j == 0 ? 0f : 1f;
            }
        }
        return new ForecastBatch(Nd4j.create(in, new long[] {b, t, features}, 'c'),
            Nd4j.create(target, new long[] {b, t}, 'c'), Nd4j.create(mask, new long[] {b, t}, 'c'),
            Nd4j.createFromArray(shifts), Nd4j.createFromArray(scales), context);
    }

    /** {mean, floored standard deviation} of the context steps of a window starting at {@code start}. */
    double[] contextStats(TimeSeries s, int start) {
        double mean = 0, sq = 0;
        for (int j = 0; j < context; j++) mean += s.at(start + j);
        mean /= context;
        for (int j = 0; j < context; j++) sq += (s.at(start + j) - mean) * (s.at(start + j) - mean);
        double sd = Math.sqrt(sq / context);
        return new double[] {mean, Math.max(sd, 1e-3 * (1 + Math.abs(mean)))};
    }

    /** The raw values of a window: (T) in the series' units. */
    public double[] values(Window w) {
        return series.get(w.series()).slice(w.start(), w.start() + length());
    }

    /**
     * Lagged-window regression data for a classic (non-attention) baseline: for each window, the last {@code lags}
     * context values and the covariates of the first forecast step as inputs, the horizon as outputs, all
     * standardised like {@link #batch}. Windows: TRAIN samples {@code count} training windows (seeded),
     * VALIDATION/TEST take the split's fixed windows (at most {@code count}), in order.
     */
    public Lagged lagged(Split split, int lags, int count) {
        Check.arg(lags >= 1 && lags <= context, "lags", lags, "between 1 and the context length " + context);
        Check.positive("count", count);
        List<Window> ws = split == Split.TRAIN ? trainWindows(count, -1) : windows(split).subList(0, Math.min(count, windows(split).size()));
        int n = ws.size(), cov = features - 1;
        double[][] x = new double[n][lags + cov], y = new double[n][horizon];
        double[] shift = new double[n], scale = new double[n];
        for (int i = 0; i < n; i++) {
            Window w = ws.get(i);
            TimeSeries s = series.get(w.series());
            double[] st = contextStats(s, w.start());
            shift[i] = st[0];
            scale[i] = st[1];
            for (int l = 0; l < lags; l++) x[i][l] = (s.at(w.start() + context - lags + l) - st[0]) / st[1];
            double[] c = s.covariates(w.start() + context);
            System.arraycopy(c, 0, x[i], lags, cov);
            for (int h = 0; h < horizon; h++) y[i][h] = (s.at(w.start() + context + h) - st[0]) / st[1];
        }
        return new Lagged(x, y, shift, scale, ws);
    }

    /** Inputs (N, lags + covariates), standardised targets (N, horizon), and each row's shift and scale. */
    public record Lagged(double[][] inputs, double[][] targets, double[] shift, double[] scale, List<Window> windows) {
        /** Targets back in the series' units. */
        public double[][] truth() {
            return unscale(targets);
        }

        /** Standardised predictions (N, horizon) → the series' units. */
        public double[][] unscale(double[][] standardised) {
            double[][] out = new double[standardised.length][];
            for (int i = 0; i < out.length; i++) {
                out[i] = new double[standardised[i].length];
                for (int h = 0; h < out[i].length; h++) out[i][h] = standardised[i][h] * scale[i] + shift[i];
            }
            return out;
        }
    }

    @Override
    public String toString() {
        return String.format("%s: %d series, context %d, horizon %d, %d validation and %d test windows", name, series.size(),
            context, horizon, validation.size(), test.size());
    }
}
