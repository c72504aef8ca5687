package dev.etlab.data;

import dev.etlab.Check;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Synthetic series for the forecasting experiments of notebook 03, generated from a seed (never stored).
 *
 * <ul>
 *   <li>{@link #electricityLike}: hourly loads shaped like the paper's electricity data (370 households'
 *       consumption): a daily and a weekly profile, a slow trend, regime shifts, multiplicative noise;</li>
 *   <li>{@link #longDependency}: the synthetic long-dependency experiment of Li et al. 2019 (Section 5.1).</li>
 * </ul>
 */
public final class SeriesGenerator {
    private SeriesGenerator() {}

    /** Hours in a day and in a week: the two seasonal periods of {@link #electricityLike}. */
    public static final int DAY = 24, WEEK = 168;

    /**
     * Hourly electricity-like loads, one series per client, starting on a Monday at midnight:
     * <pre>
     * z_t = max(0, L_t · (1 + a_t·d(t mod 24) ) · w(t mod 168) · (1 + g·t/n) · (1 + σ·ε_t))
     * </pre>
     * with a client level L (log-uniform 20…500), a daily shape d (two harmonics, random phases; amplitude a),
     * a weekend factor w (0.55…0.95 on Saturday and Sunday), a trend g ∈ [−0.3, 0.3] over the whole span, noise
     * σ ∈ [0.03, 0.1] and regime shifts: about one every {@code hours / 3} steps, the level jumps by a factor
     * 0.6…1.6 and the daily amplitude a is redrawn (a new tenant, a heat pump, a holiday home emptied).
     */
    public static List<TimeSeries> electricityLike(int clients, int hours, long seed) {
        Check.positive("clients", clients);
        Check.arg(hours >= WEEK, "hours", hours, "at least one week (" + WEEK + ")");
        Random rng = new Random(seed);
        List<TimeSeries> out = new ArrayList<>(clients);
        for (int c = 0; c < clients; c++) {
            double level = 20 * Math.pow(25, rng.nextDouble());
            double amplitude = 0.3 + 0.7 * rng.nextDouble();
            double phase1 = 2 * Math.PI * rng.nextDouble(), phase2 = 2 * Math.PI * rng.nextDouble(), second = rng.nextDouble();
            double weekend = 0.55 + 0.4 * rng.nextDouble();
            double trend = -0.3 + 0.6 * rng.nextDouble();
            double noise = 0.03 + 0.07 * rng.nextDouble();
            double shiftRate = 3.0 / hours;
            double[] z = new double[hours];
            for (int t = 0; t < hours; t++) {
                if (rng.nextDouble() < shiftRate) {                                    // a regime shift
                    level *= 0.6 + rng.nextDouble();
                    amplitude = 0.3 + 0.7 * rng.nextDouble();
                }
                double hour = 2 * Math.PI * (t % DAY) / DAY;
                double daily = (Math.sin(hour + phase1) + second * Math.sin(2 * hour + phase2)) / (1 + second);
                boolean isWeekend = (t % WEEK) / DAY >= 5;
                double value = level * (1 + amplitude * daily) * (isWeekend ? weekend : 1) * (1 + trend * t / hours)
                    * (1 + noise * rng.nextGaussian());
                z[t] = Math.max(0, value);
            }
            out.add(new TimeSeries("client-" + c, z, new int[] {DAY, WEEK}));
        }
        return out;
    }

    /**
     * The synthetic long-dependency data of Li et al. 2019, Section 5.1: piece-wise sinusoids
     * <pre>
     * f(x) = A1 sin(πx/6) + 72 + N_x   for x ∈ [0, 12)
     *        A2 sin(πx/6) + 72 + N_x   for x ∈ [12, 24)
     *        A3 sin(πx/6) + 72 + N_x   for x ∈ [24, t0)
     *        A4 sin(πx/12) + 72 + N_x  for x ∈ [t0, t0 + 24)
     * </pre>
     * with A1, A2, A3 ~ U[0, 60], A4 = max(A1, A2), N_x ~ N(0, 1). The last 24 steps are predicted from the first
     * t0: their amplitude was only visible t0 − 24 … t0 steps earlier. The paper varies t0 over 24 … 192.
     *
     * @param count how many series (instances); the paper uses 4.5K / 0.5K / 1K for train / validation / test
     * @param t0    length of the conditioning range, ≥ 24
     */
    public static List<TimeSeries> longDependency(int count, int t0, long seed) {
        Check.positive("count", count);
        Check.arg(t0 >= 24, "t0", t0, "at least 24 (the two amplitudes A1, A2 occupy the first 24 steps)");
        Random rng = new Random(seed);
        List<TimeSeries> out = new ArrayList<>(count);
        for (int s = 0; s < count; s++) {
            double a1 = 60 * rng.nextDouble(), a2 = 60 * rng.nextDouble(), a3 = 60 * rng.nextDouble();
            double a4 = Math.max(a1, a2);
            double[] z = new double[t0 + 24];
            for (int x = 0; x < z.length; x++) {
                double wave = x < 12 ? a1 * Math.sin(Math.PI * x / 6)
                    : x < 24 ? a2 * Math.sin(Math.PI * x / 6)
                    : x < t0 ? a3 * Math.sin(Math.PI * x / 6)
                    : a4 * Math.sin(Math.PI * x / 12);
                z[x] = wave + 72 + rng.nextGaussian();
            }
            out.add(new TimeSeries("sine-" + s, z, new int[] {12, 24}));
        }
        return out;
    }
}
