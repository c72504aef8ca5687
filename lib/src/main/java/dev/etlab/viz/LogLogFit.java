package dev.etlab.viz;

/**
 * Least-squares fit of log y = intercept + slope · log x (natural logs) over points with x, y > 0:
 * the exponent of a power law y = c·x^slope, for any series a chart draws (the arithmetic is
 * {@link dev.etlab.bench.Slope#leastSquares}; this adds skipping of unusable points).
 *
 * @param slope     fitted exponent (NaN with fewer than two usable points or a single distinct x)
 * @param intercept log c
 * @param r2        coefficient of determination in log space (1 for an exact power law)
 * @param n         points used
 */
record LogLogFit(double slope, double intercept, double r2, int n) {

    static LogLogFit of(double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("x and y differ in length: " + x.length + " vs " + y.length);
        java.util.List<double[]> logs = new java.util.ArrayList<>();
        for (int i = 0; i < x.length; i++) if (usable(x[i], y[i])) logs.add(new double[] {Math.log(x[i]), Math.log(y[i])});
        int n = logs.size();
        if (logs.stream().mapToDouble(p -> p[0]).distinct().count() < 2) return new LogLogFit(Double.NaN, Double.NaN, Double.NaN, n);
        double[] line = dev.etlab.bench.Slope.leastSquares(logs.stream().mapToDouble(p -> p[0]).toArray(), logs.stream().mapToDouble(p -> p[1]).toArray());
        return new LogLogFit(line[0], line[1], line[2], n);
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
