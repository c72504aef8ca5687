package dev.etlab.viz;

/**
 * Least-squares fit of log y = intercept + slope · log x (natural logs) over points with x, y > 0:
 * the exponent of a power law y = c·x^slope. Kept small and local to the chart code.
 *
 * @param slope     fitted exponent (NaN with fewer than two usable points or a single distinct x)
 * @param intercept log c
 * @param r2        coefficient of determination in log space (1 for an exact power law)
 * @param n         points used
 */
record LogLogFit(double slope, double intercept, double r2, int n) {

    static LogLogFit of(double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("x and y differ in length: " + x.length + " vs " + y.length);
        int n = 0;
        double sx = 0, sy = 0;
        for (int i = 0; i < x.length; i++) {
            if (usable(x[i], y[i])) {
                n++;
                sx += Math.log(x[i]);
                sy += Math.log(y[i]);
            }
        }
        if (n < 2) return new LogLogFit(Double.NaN, Double.NaN, Double.NaN, n);
        double mx = sx / n, my = sy / n, sxx = 0, sxy = 0, syy = 0;
        for (int i = 0; i < x.length; i++) {
            if (!usable(x[i], y[i])) continue;
            double dx = Math.log(x[i]) - mx, dy = Math.log(y[i]) - my;
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
        }
        if (sxx == 0) return new LogLogFit(Double.NaN, Double.NaN, Double.NaN, n);
        double slope = sxy / sxx;
        double r2 = syy == 0 ? 1 : (sxy * sxy) / (sxx * syy);
        return new LogLogFit(slope, my - slope * mx, r2, n);
    }

    private static boolean usable(double x, double y) {
        return x > 0 && y > 0 && Double.isFinite(x) && Double.isFinite(y);
    }

    /** c·x^slope. */
    double predict(double x) {
        return Math.exp(intercept + slope * Math.log(x));
    }

    boolean valid() {
        return !Double.isNaN(slope);
    }
}
