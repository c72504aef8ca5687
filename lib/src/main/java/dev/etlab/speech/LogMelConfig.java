package dev.etlab.speech;

import dev.etlab.Check;

/**
 * Settings of {@link LogMel}, validated here.
 *
 * @param sampleRate samples per second of the audio
 * @param window     samples per frame (the Hann window's length), at most nFft
 * @param hop        samples between the starts of consecutive frames
 * @param nFft       FFT length, a power of two: each windowed frame is zero-padded to it
 * @param nMels      mel filters (output features per frame)
 * @param fMin       lower edge of the filterbank, Hz
 * @param fMax       upper edge of the filterbank, Hz, at most sampleRate / 2
 * @param floor      energies below it are raised to it before the log: log(max(floor, e))
 */
public record LogMelConfig(int sampleRate, int window, int hop, int nFft, int nMels, double fMin, double fMax, double floor) {

    /** eSpeak NG's output rate, the rate of {@code data/speech}. */
    public static final int SPEECH_RATE = 22_050;

    public LogMelConfig {
        Check.arg(sampleRate > 0, "sampleRate", sampleRate, "a positive number of samples per second");
        Check.arg(Fft.isPowerOfTwo(nFft) && nFft >= 2, "nFft", nFft, "a power of two, at least 2 (the FFT is radix 2)");
        Check.arg(window >= 2 && window <= nFft, "window", window, "a frame length in [2, nFft = " + nFft + "] samples");
        Check.arg(hop >= 1, "hop", hop, "at least 1 sample between frames");
        Check.arg(nMels >= 1, "nMels", nMels, "at least 1 mel filter");
        Check.arg(fMax > 0 && fMax <= sampleRate / 2.0, "fMax", fMax,
            "a frequency in (0, " + sampleRate / 2.0 + "] Hz: at most the Nyquist frequency of sampleRate = " + sampleRate);
        Check.arg(fMin >= 0 && fMin < fMax, "fMin", fMin, "a frequency in [0, fMax = " + fMax + ") Hz");
        Check.arg(floor > 0 && Double.isFinite(floor), "floor", floor, "a small positive energy, e.g. 1e-10");
    }

    /**
     * The lab's speech features at 22,050 Hz: 25 ms frames (551 samples) every 10 ms (220 samples, 100.2 frames per
     * second), zero-padded to nFft = 1024, 80 mel filters from 0 to 8,000 Hz, floor 1e-10 — the usual recipe
     * of speech recognisers (80 log-mel bins, 25 ms / 10 ms in the Conformer paper, §3.1), at this rate. 8 kHz is
     * the band of 16 kHz recognisers; eSpeak's spectrum above it carries little.
     */
    public static LogMelConfig defaults() {
        return of(SPEECH_RATE, 80);
    }

    /** 25 ms / 10 ms frames at this rate (rounded down), the smallest power-of-two nFft ≥ the window, 0 – min(8 kHz, Nyquist). */
    public static LogMelConfig of(int sampleRate, int nMels) {
        Check.arg(sampleRate >= 200, "sampleRate", sampleRate, "at least 200 samples per second (a 25 ms frame of ≥ 5 samples)");
        int window = sampleRate / 40, hop = sampleRate / 100;
        return new LogMelConfig(sampleRate, window, hop, Integer.highestOneBit(window - 1) << 1, nMels, 0,
            Math.min(8000, sampleRate / 2.0), 1e-10);
    }

    /** Same settings with another number of mel filters. */
    public LogMelConfig withMels(int n) {
        return new LogMelConfig(sampleRate, window, hop, nFft, n, fMin, fMax, floor);
    }

    /** Frame rate, frames per second: sampleRate / hop. */
    public double framesPerSecond() {
        return (double) sampleRate / hop;
    }
}
