package dev.etlab.viz;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.function.Function;

/**
 * How the lab writes numbers for people: table cells, bar and point labels, and axis ticks all go
 * through here, so a chart never shows {@code .21875}, {@code 1,969.18} or a label with thirteen
 * decimals. No thousands separators anywhere (they read as decimal commas in half the world);
 * large round numbers are shortened instead ("16K" for 16384 = 16·1024, "20k" for 20000).
 *
 * <pre>{@code
 * Numbers.format(0.884375000001)   // "0.8844"  (table cell: 4 significant digits)
 * Numbers.label(0.884375000001)    // "0.884"   (bar label: 3 significant digits)
 * Numbers.tick(0.2, 0.05)          // "0.2"     (tick: as many decimals as the step needs)
 * Numbers.compact(16384)           // "16K"
 * }</pre>
 */
public final class Numbers {
    private Numbers() {}

    /** Significant digits of a table cell. */
    public static final int CELL_DIGITS = 4;
    /** Significant digits of a bar or point label. */
    public static final int LABEL_DIGITS = 3;

    /**
     * A table cell: integers without decimals, {@value #CELL_DIGITS} significant digits otherwise (one
     * decimal from 1000 up), scientific notation below 0.001 or from 10⁹, "" for NaN, ∞ for infinity.
     */
    public static String format(double v) {
        if (Double.isNaN(v)) return "";
        if (Double.isInfinite(v)) return v > 0 ? "∞" : "−∞";
        double a = Math.abs(v);
        if (a == 0) return "0";
        if (v == Math.rint(v) && a < 1e15) return Long.toString((long) v);
        if (a >= 1e9 || a < 1e-3) return String.format(Locale.ROOT, "%.3e", v);
        if (a >= 1000) return String.format(Locale.ROOT, "%.1f", v);
        return significant(v, CELL_DIGITS);
    }

    /** A bar or point label: {@value #LABEL_DIGITS} significant digits, integers kept whole, no separators. */
    public static String label(double v) {
        if (Double.isNaN(v)) return "";
        if (Double.isInfinite(v)) return v > 0 ? "∞" : "−∞";
        double a = Math.abs(v);
        if (a == 0) return "0";
        if (a >= 1000) return Long.toString(Math.round(v));
        if (a < 1e-3) return String.format(Locale.ROOT, "%.2e", v);
        return significant(v, LABEL_DIGITS);
    }

    /** {@code v} rounded to {@code digits} significant digits, plain notation, trailing zeros removed. */
    public static String significant(double v, int digits) {
        if (!Double.isFinite(v)) return format(v);
        if (v == 0) return "0";
        String s = new BigDecimal(v).round(new MathContext(digits, RoundingMode.HALF_EVEN)).stripTrailingZeros().toPlainString();
        return s.equals("-0") ? "0" : s;
    }

    /**
     * The decimals needed to write multiples of {@code step} exactly (0.25 → 2, 0.1 → 1, 50 → 0),
     * at most 10.
     */
    public static int decimalsFor(double step) {
        double s = Math.abs(step);
        if (!(s > 0) || !Double.isFinite(s)) return 0;
        for (int d = 0; d < 10; d++) {
            double scaled = s * Math.pow(10, d);
            if (Math.abs(scaled - Math.rint(scaled)) < 1e-6 * Math.max(1, scaled)) return d;
        }
        return 10;
    }

    /**
     * An axis tick at {@code v} on an axis whose ticks are {@code step} apart: just the decimals the
     * step needs, floating-point noise removed (0.30000000000000004 → "0.3"), no "-0", and round
     * thousands shortened from 10 000 up ("20k", "1.5M").
     */
    public static String tick(double v, double step) {
        if (!Double.isFinite(v)) return "";
        int d = decimalsFor(step);
        double r = new BigDecimal(v).setScale(d, RoundingMode.HALF_EVEN).doubleValue();
        if (Math.abs(r) < Math.abs(step) * 1e-6 || r == 0) return "0";
        double a = Math.abs(r);
        if (a >= 1e4 && Math.abs(step) >= 100) return compact(r);
        String s = BigDecimal.valueOf(r).setScale(d, RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString();
        return s.equals("-0") ? "0" : s;
    }

    /**
     * The "nice" step (1, 2, 2.5 or 5 × 10^k) at or below {@code span / 10}: the finest spacing a
     * chart's tick calculator picks for that span, so labels written with its decimals are exact.
     */
    public static double niceStep(double span) {
        if (!(span > 0) || !Double.isFinite(span)) return 1;
        double raw = span / 10;
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double m = raw / p;
        double nice = m >= 5 ? 5 : m >= 2.5 ? 2.5 : m >= 2 ? 2 : 1;
        return nice * p;
    }

    /**
     * A tick formatter for an axis showing {@code lo..hi}: every label written with the decimals of the
     * finest step a tick calculator would use there ({@link #niceStep}), so neighbouring ticks
     * never collapse to the same label nor carry floating-point noise. Values ≤ 0 give "" on a
     * {@code logarithmic} axis.
     */
    public static Function<Double, String> tickFormatter(double lo, double hi, boolean logarithmic) {
        double span = hi - lo;
        // A tenth of the finest nice step: one decimal more than that step needs, which covers a
        // calculator that picks 2.5 × 10^k; trailing zeros are stripped anyway.
        double finest = (span > 0 ? niceStep(span) : niceStep(Math.max(Math.abs(hi), 1e-12))) / 10;
        return v -> {
            if (v == null || logarithmic && !(v > 0)) return "";
            return tick(v, finest);
        };
    }

    /**
     * Short labels for round quantities such as sequence lengths: multiples of 1024 from 1024 up as
     * "1K", "16K", multiples of 1024² as "1M"; other whole numbers from 10 000 up in decimal
     * thousands ("20k", "1.5M" for 1 500 000); anything else as {@link #label(double)}.
     */
    public static String compact(double v) {
        if (!Double.isFinite(v)) return format(v);
        double a = Math.abs(v);
        if (a >= 1024 && v == Math.rint(v) && a < 1e15) {
            long n = (long) a;
            String sign = v < 0 ? "-" : "";
            if (n % (1L << 20) == 0) return sign + (n >> 20) + "M";
            if (n % 1024 == 0) return sign + (n >> 10) + "K";
        }
        if (a >= 1e6) return significant(v / 1e6, 3) + "M";
        if (a >= 1e4) return significant(v / 1e3, 3) + "k";
        if (v == Math.rint(v)) return Long.toString((long) v);
        return label(v);
    }
}
