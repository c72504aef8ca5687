package dev.etlab.data;

import dev.etlab.Check;
import java.util.List;
import java.util.Random;

/**
 * Additive noise at a signal-to-noise ratio: noisy = clean + g·n, with g chosen so that
 * SNR = 10·log10(P_clean / P_{g·n}) dB exactly, P being the mean square over the whole utterance (its 30 ms margins
 * of near-silence included). The result is not clipped: features are computed from floats. Each call draws from the
 * {@link Random} it is given, so a seeded generator per utterance makes the noise reproducible ({@link SpeechSet}).
 */
@FunctionalInterface
public interface Noise {

    float[] apply(float[] clean, Random rng);

    /** No noise: the clean samples, copied. */
    static Noise none() {
        return (clean, rng) -> clean.clone();
    }

    /** White Gaussian noise at snrDb. */
    static Noise white(double snrDb) {
        checkSnr(snrDb);
        return (clean, rng) -> {
            float[] n = new float[clean.length];
            for (int i = 0; i < n.length; i++) n[i] = (float) rng.nextGaussian();
            return atSnr(clean, n, snrDb);
        };
    }

    /**
     * Babble at snrDb: the sum of {@code talkers} utterances drawn from {@code pool} (use training speakers only, so
     * no test voice leaks into training), each started at a random offset and repeated to cover the clean signal.
     */
    static Noise babble(double snrDb, int talkers, List<Utterance> pool) {
        checkSnr(snrDb);
        Check.positive("talkers", talkers);
        Check.arg(!pool.isEmpty(), "pool", "empty", "at least one utterance to make babble from");
        return (clean, rng) -> {
            float[] n = new float[clean.length];
            for (int k = 0; k < talkers; k++) {
                float[] other = pool.get(rng.nextInt(pool.size())).samples();
                int shift = rng.nextInt(other.length);
                for (int i = 0; i < n.length; i++) n[i] += other[(i + shift) % other.length];
            }
            return atSnr(clean, n, snrDb);
        };
    }

    /** clean + g·noise with g = sqrt(P_clean / (P_noise · 10^(snrDb/10))); silent noise or a silent signal leaves it clean. */
    static float[] atSnr(float[] clean, float[] noise, double snrDb) {
        Check.arg(noise.length == clean.length, "noise length", noise.length, clean.length + " samples, as many as the clean signal");
        double ps = meanSquare(clean), pn = meanSquare(noise);
        double g = pn == 0 || ps == 0 ? 0 : Math.sqrt(ps / (pn * Math.pow(10, snrDb / 10)));
        float[] out = new float[clean.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) (clean[i] + g * noise[i]);
        return out;
    }

    static double meanSquare(float[] x) {
        double s = 0;
        for (float v : x) s += (double) v * v;
        return x.length == 0 ? 0 : s / x.length;
    }

    private static void checkSnr(double snrDb) {
        Check.arg(Double.isFinite(snrDb), "snrDb", snrDb, "a finite signal-to-noise ratio in dB (use Noise.none() for clean audio)");
    }
}
