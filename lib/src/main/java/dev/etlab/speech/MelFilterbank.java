package dev.etlab.speech;

import dev.etlab.Check;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Triangular filters evenly spaced on the mel scale, applied to a power spectrum: the front end of most speech
 * recognisers since Davis and Mermelstein (1980). The mel scale is HTK's (Young et al., <i>The HTK Book</i>,
 * §5.4): mel(f) = 2595 · log10(1 + f / 700), f in Hz.
 *
 * <p>nMels + 2 points are spaced evenly in mel between mel(fMin) and mel(fMax); filter m (0-based) rises linearly
 * from point m to its centre, point m + 1, where it is 1, and falls to 0 at point m + 2, linearly in Hz. It is
 * sampled at the frequencies of the FFT bins, f_k = k · sampleRate / nFft, k = 0 … nFft/2. Filters are not
 * area-normalised (each peaks at 1; HTK's convention): the log that follows turns any per-filter scale into an
 * additive constant, which the per-bin normalisation in the data loader removes anyway.
 */
public final class MelFilterbank {
    private final double sampleRate;
    private final int nFft, nMels;
    private final double[] centresHz;   // (nMels)
    private final double[][] weights;   // (nMels, nFft/2 + 1)
    private final int[] first, last;    // (nMels) the nonzero range of each row, inclusive

    /**
     * @param sampleRate Hz, positive
     * @param nFft       the FFT length whose bins the filters sample (a power of two)
     * @param nMels      number of filters, at least 1
     * @param fMin       lower edge of the first filter, Hz, in [0, fMax)
     * @param fMax       upper edge of the last filter, Hz, at most the Nyquist frequency sampleRate / 2
     */
    public MelFilterbank(double sampleRate, int nFft, int nMels, double fMin, double fMax) {
        Check.arg(sampleRate > 0 && Double.isFinite(sampleRate), "sampleRate", sampleRate, "a positive number of samples per second");
        Check.arg(Fft.isPowerOfTwo(nFft) && nFft >= 2, "nFft", nFft, "a power of two, at least 2");
        Check.arg(nMels >= 1, "nMels", nMels, "at least 1 mel filter");
        Check.arg(fMax <= sampleRate / 2, "fMax", fMax, "at most the Nyquist frequency sampleRate / 2 = " + sampleRate / 2 + " Hz");
        Check.arg(fMin >= 0 && fMin < fMax, "fMin", fMin, "a frequency in [0, fMax = " + fMax + ") Hz");
        this.sampleRate = sampleRate;
        this.nFft = nFft;
        this.nMels = nMels;
        double lo = hzToMel(fMin), hi = hzToMel(fMax);
        double[] points = new double[nMels + 2];
        for (int i = 0; i < points.length; i++) points[i] = melToHz(lo + (hi - lo) * i / (nMels + 1));
        int bins = nFft / 2 + 1;
        centresHz = new double[nMels];
        weights = new double[nMels][bins];
        first = new int[nMels];
        last = new int[nMels];
        for (int m = 0; m < nMels; m++) {
            double left = points[m], centre = points[m + 1], right = points[m + 2];
            centresHz[m] = centre;
            first[m] = bins;
            last[m] = -1;
            for (int k = 0; k < bins; k++) {
                double f = binHz(k);
                double w = f <= centre ? (f - left) / (centre - left) : (right - f) / (right - centre);
                if (w > 0) {
                    weights[m][k] = w;
                    first[m] = Math.min(first[m], k);
                    last[m] = Math.max(last[m], k);
                }
            }
            Check.arg(last[m] >= 0, "nMels", nMels, "few enough filters that each covers an FFT bin: filter " + m
                + " (" + left + "–" + right + " Hz) falls between the bins of nFft = " + nFft + "; use fewer mels or a larger nFft");
        }
    }

    /** HTK's mel scale: 2595 · log10(1 + f / 700). */
    public static double hzToMel(double hz) {
        return 2595 * Math.log10(1 + hz / 700);
    }

    /** The inverse of {@link #hzToMel}: 700 · (10^(mel / 2595) − 1). */
    public static double melToHz(double mel) {
        return 700 * (Math.pow(10, mel / 2595) - 1);
    }

    /** The frequency of FFT bin k, k · sampleRate / nFft. */
    public double binHz(int k) {
        return k * sampleRate / nFft;
    }

    public int nMels() {
        return nMels;
    }

    /** Number of FFT bins the filters read: nFft/2 + 1. */
    public int bins() {
        return nFft / 2 + 1;
    }

    /** Centre frequency of filter m, Hz (where it equals 1 before sampling at the bins). */
    public double centreHz(int m) {
        return centresHz[m];
    }

    /** Weight of FFT bin k in filter m. */
    public double weight(int m, int k) {
        return weights[m][k];
    }

    /** The filters as a (nMels, nFft/2 + 1) float array, e.g. to draw them. */
    public INDArray weights() {
        return Nd4j.create(weights).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
    }

    /** Filter energies: out[m] = Σ_k weight(m, k) · power[k], for a power spectrum of nFft/2 + 1 bins. */
    public void apply(double[] power, double[] out) {
        Check.arg(power.length == bins(), "power.length", power.length, bins() + " (nFft/2 + 1 bins)");
        for (int m = 0; m < nMels; m++) {
            double s = 0;
            for (int k = first[m]; k <= last[m]; k++) s += weights[m][k] * power[k];
            out[m] = s;
        }
    }
}
