package dev.etlab.data;

import dev.etlab.Check;

/**
 * Per-mel-bin mean and standard deviation of log-mel features, computed over every frame of one set (the training
 * speakers) and applied to all sets: y' = (y − mean_m) / std_m, bin by bin (global cepstral mean and variance
 * normalisation). Statistics from the training split only, so nothing about the test voices leaks into the
 * features. A bin with std below 1e-5 is divided by 1e-5.
 *
 * @param mean (nMels)
 * @param std  (nMels)
 */
public record FeatureStats(float[] mean, float[] std) {

    static final double MIN_STD = 1e-5;

    public FeatureStats {
        Check.arg(mean.length == std.length && mean.length > 0, "mean/std lengths", mean.length + "/" + std.length, "equal and positive");
    }

    /** Statistics over all frames of the set, accumulated in double. */
    public static FeatureStats of(SpeechSet set) {
        int m = set.nMels();
        double[] sum = new double[m], sq = new double[m];
        long frames = 0;
        for (int i = 0; i < set.size(); i++) {
            for (float[] frame : set.features(i)) {
                for (int k = 0; k < m; k++) { sum[k] += frame[k]; sq[k] += (double) frame[k] * frame[k]; }
                frames++;
            }
        }
        Check.arg(frames > 0, "set", "no frames", "a non-empty set of utterances");
        float[] mean = new float[m], std = new float[m];
        for (int k = 0; k < m; k++) {
            double mu = sum[k] / frames;
            mean[k] = (float) mu;
            std[k] = (float) Math.max(MIN_STD, Math.sqrt(Math.max(0, sq[k] / frames - mu * mu)));
        }
        return new FeatureStats(mean, std);
    }

    public int nMels() {
        return mean.length;
    }

    /** One normalised frame into {@code out}. */
    public void normalise(float[] frame, float[] out, int outOffset) {
        Check.arg(frame.length == mean.length, "frame length", frame.length, mean.length + " mel bins");
        for (int k = 0; k < frame.length; k++) out[outOffset + k] = (frame[k] - mean[k]) / std[k];
    }
}
