package dev.etlab.speech;

import dev.etlab.Check;

/**
 * The DFT of a real sequence of length n (a power of two, at least 2), by one complex {@link Fft} of length n/2:
 * the even and odd samples are packed as z[t] = x[2t] + i·x[2t+1], Z = FFT(z), and the two half-length spectra are
 * separated with Z[n/2 - k]* and recombined, X[k] = (Z[k] + Z[n/2-k]*)/2 − i e^{-2πik/n} (Z[k] − Z[n/2-k]*)/2, for
 * k = 0 … n/2 (Z[n/2] ≡ Z[0]). The other half of X is the mirror image X[n-k] = X[k]*, so it is not returned.
 * Immutable and thread-safe: scratch arrays are allocated per call.
 */
public final class RealFft {
    private final int n;
    private final Fft half;
    private final double[] cos, sin;   // (n/2 + 1) cos(2πk/n), -sin(2πk/n)

    /** @param n the transform length: a power of two, at least 2 */
    public RealFft(int n) {
        Check.arg(Fft.isPowerOfTwo(n) && n >= 2, "n", n, "a power of two, at least 2, for the real radix-2 FFT");
        this.n = n;
        half = new Fft(n / 2);
        cos = new double[n / 2 + 1];
        sin = new double[n / 2 + 1];
        for (int k = 0; k <= n / 2; k++) {
            cos[k] = Math.cos(2 * Math.PI * k / n);
            sin[k] = -Math.sin(2 * Math.PI * k / n);
        }
    }

    public int size() {
        return n;
    }

    /** Number of non-redundant output bins: n/2 + 1 (0 Hz … the Nyquist frequency). */
    public int bins() {
        return n / 2 + 1;
    }

    /** X[k] for k = 0 … n/2 into re and im (each of length n/2 + 1), from x of length n. */
    public void forward(double[] x, double[] re, double[] im) {
        Check.arg(x.length == n, "x.length", x.length, n + " (the transform length)");
        Check.arg(re.length == bins() && im.length == bins(), "re/im lengths", re.length + "/" + im.length, bins() + " each (n/2 + 1)");
        int m = n / 2;
        double[] zr = new double[m], zi = new double[m];
        for (int t = 0; t < m; t++) { zr[t] = x[2 * t]; zi[t] = x[2 * t + 1]; }
        half.forward(zr, zi);
        for (int k = 0; k <= m; k++) {
            int a = k % m, b = (m - k) % m;
            double er = (zr[a] + zr[b]) / 2, ei = (zi[a] - zi[b]) / 2;      // E[k] = (Z[k] + Z[m-k]*)/2: even samples
            double dr = (zr[a] - zr[b]) / 2, di = (zi[a] + zi[b]) / 2;      // (Z[k] − Z[m-k]*)/2 = i·O[k]
            double or = di, oi = -dr;                                       // O[k]: odd samples
            re[k] = er + cos[k] * or - sin[k] * oi;                         // X[k] = E[k] + e^{-2πik/n} O[k]
            im[k] = ei + cos[k] * oi + sin[k] * or;
        }
    }

    /** The power spectrum |X[k]|², k = 0 … n/2, of x (length n) into out (length n/2 + 1). */
    public void power(double[] x, double[] out) {
        double[] re = new double[bins()], im = new double[bins()];
        forward(x, re, im);
        for (int k = 0; k < out.length; k++) out[k] = re[k] * re[k] + im[k] * im[k];
    }
}
