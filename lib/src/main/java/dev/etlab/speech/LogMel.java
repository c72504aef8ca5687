package dev.etlab.speech;

import dev.etlab.Check;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Log-mel filterbank features of a waveform: the input of the Conformer (Gulati et al. 2020, §3.1,
 * https://arxiv.org/abs/2005.08100) and of most speech recognisers.
 *
 * <p>Frame t covers samples [t·hop, t·hop + window); only whole frames are taken (no padding at either end), so
 * a signal of N ≥ window samples has T = 1 + ⌊(N − window) / hop⌋ frames ({@link #frames}). Each frame is
 * multiplied by the periodic Hann window w[i] = 0.5 − 0.5 cos(2πi / window) (Harris 1978), zero-padded to nFft,
 * transformed by the {@link RealFft} into the power spectrum P[k] = |X[k]|², k = 0 … nFft/2, passed through the
 * {@link MelFilterbank} (E[m] = Σ_k H_m[k] P[k]) and the natural log taken: y[t, m] = ln(max(floor, E[m])). No
 * pre-emphasis, no dither, no mean removal per frame: the loader normalises each mel bin over the training set.
 * Immutable and thread-safe.
 */
public final class LogMel {
    private final LogMelConfig config;
    private final RealFft fft;
    private final MelFilterbank filterbank;
    private final double[] hann;   // (window)

    public LogMel(LogMelConfig config) {
        this.config = config;
        fft = new RealFft(config.nFft());
        filterbank = new MelFilterbank(config.sampleRate(), config.nFft(), config.nMels(), config.fMin(), config.fMax());
        hann = new double[config.window()];
        for (int i = 0; i < hann.length; i++) hann[i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / hann.length);
    }

    /** {@link LogMelConfig#defaults()}: 22,050 Hz, 25 ms / 10 ms, nFft 1024, 80 mels, 0 – 8 kHz. */
    public static LogMel defaults() {
        return new LogMel(LogMelConfig.defaults());
    }

    public LogMelConfig config() {
        return config;
    }

    public MelFilterbank filterbank() {
        return filterbank;
    }

    /** Frames of a signal of this many samples: 1 + ⌊(samples − window) / hop⌋; at least one window is required. */
    public int frames(int samples) {
        checkLength(samples);
        return 1 + (samples - config.window()) / config.hop();
    }

    /** The features as a (T, nMels) float array (see the class comment for T). */
    public INDArray apply(float[] audio) {
        float[][] y = compute(audio);
        return Nd4j.create(y);
    }

    /** The features as float[T][nMels], for loaders that pad and batch them themselves. */
    public float[][] compute(float[] audio) {
        Check.arg(audio != null, "audio", null, "an array of samples");
        int frames = frames(audio.length), window = config.window(), hop = config.hop();
        double[] frame = new double[config.nFft()], power = new double[fft.bins()], energy = new double[config.nMels()];
        float[][] y = new float[frames][config.nMels()];
        for (int t = 0; t < frames; t++) {
            for (int i = 0; i < window; i++) frame[i] = hann[i] * audio[t * hop + i];   // the rest stays 0: zero padding
            fft.power(frame, power);
            filterbank.apply(power, energy);
            for (int m = 0; m < energy.length; m++) y[t][m] = (float) Math.log(Math.max(config.floor(), energy[m]));
        }
        return y;
    }

    private void checkLength(int samples) {
        String window = "at least one window of " + config.window() + " samples ("
            + String.format(java.util.Locale.ROOT, "%.1f ms at %d Hz", 1000.0 * config.window() / config.sampleRate(), config.sampleRate()) + ")";
        Check.arg(samples > 0, "audio", "0 samples (empty)", window);
        Check.arg(samples >= config.window(), "audio", samples + " samples", window + "; pad or drop shorter clips");
    }
}
