package dev.etlab.speech;

import dev.etlab.Check;

/**
 * The discrete Fourier transform X[k] = Σ_{t<n} x[t] e^{-2πikt/n} (forward, unscaled) of a complex sequence whose
 * length n is a power of two, by the iterative radix-2 Cooley–Tukey algorithm (Cooley and Tukey 1965): the input
 * is permuted into bit-reversed order, then log2(n) passes of butterflies combine transforms of length 2, 4, …, n.
 * O(n log n); the tables (bit reversal, twiddle factors e^{-2πij/n}) are built once per length. Instances are
 * immutable and may be shared between threads.
 */
public final class Fft {
    private final int n;
    private final int[] reversed;      // (n) bit-reversed index of each position
    private final double[] cos, sin;   // (n/2) cos(2πj/n), -sin(2πj/n): the twiddle factor e^{-2πij/n}

    /** @param n the transform length: a power of two, at least 1 */
    public Fft(int n) {
        Check.arg(isPowerOfTwo(n), "n", n, "a power of two (1, 2, 4, …) for the radix-2 FFT");
        this.n = n;
        reversed = new int[n];
        int bits = Integer.numberOfTrailingZeros(n);
        for (int i = 0; i < n; i++) reversed[i] = bits == 0 ? 0 : Integer.reverse(i) >>> (32 - bits);
        cos = new double[n / 2];
        sin = new double[n / 2];
        for (int j = 0; j < n / 2; j++) {
            cos[j] = Math.cos(2 * Math.PI * j / n);
            sin[j] = -Math.sin(2 * Math.PI * j / n);
        }
    }

    public static boolean isPowerOfTwo(int n) {
        return n > 0 && (n & (n - 1)) == 0;
    }

    public int size() {
        return n;
    }

    /** Replaces (re, im), each of length n, by their forward transform. */
    public void forward(double[] re, double[] im) {
        Check.arg(re.length == n && im.length == n, "re/im lengths", re.length + "/" + im.length, n + " each");
        for (int i = 0; i < n; i++) {
            int j = reversed[i];
            if (j > i) {
                double t = re[i]; re[i] = re[j]; re[j] = t;
                t = im[i]; im[i] = im[j]; im[j] = t;
            }
        }
        for (int len = 2; len <= n; len <<= 1) {
            int half = len >> 1, step = n / len;
            for (int start = 0; start < n; start += len) {
                for (int k = 0; k < half; k++) {
                    double wr = cos[k * step], wi = sin[k * step];
                    int a = start + k, b = a + half;
                    double tr = wr * re[b] - wi * im[b], ti = wr * im[b] + wi * re[b];   // w · x[b]
                    re[b] = re[a] - tr; im[b] = im[a] - ti;                              // butterfly
                    re[a] += tr; im[a] += ti;
                }
            }
        }
    }
}
