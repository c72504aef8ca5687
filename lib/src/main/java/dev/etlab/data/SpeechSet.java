package dev.etlab.data;

import dev.etlab.Check;
import dev.etlab.speech.CtcBatch;
import dev.etlab.speech.LogMel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Utterances with their log-mel features computed once and kept in memory (float[T][nMels] each), in parallel
 * over utterances; batches are then assembled from the cache. Noise, if any, is added to the waveform before the
 * features, from a {@link Random} seeded by (seed, the utterance's corpus index): the same utterance gets the
 * same noise in every run, whatever the set it is in and however many threads compute it.
 */
public final class SpeechSet {
    private final List<Utterance> utterances;
    private final float[][][] features;   // (N)(T_i, nMels)
    private final int nMels;
    private final double computeSeconds;

    private SpeechSet(List<Utterance> utterances, float[][][] features, int nMels, double computeSeconds) {
        this.utterances = utterances;
        this.features = features;
        this.nMels = nMels;
        this.computeSeconds = computeSeconds;
    }

    /** Clean features. */
    public static SpeechSet of(List<Utterance> utterances, LogMel logMel) {
        return of(utterances, logMel, Noise.none(), 0);
    }

    /** Features of the utterances with noise added to each waveform first. */
    public static SpeechSet of(List<Utterance> utterances, LogMel logMel, Noise noise, long seed) {
        Check.arg(!utterances.isEmpty(), "utterances", "empty list", "at least one utterance");
        List<Utterance> us = List.copyOf(utterances);
        long t0 = System.nanoTime();
        float[][][] f = new float[us.size()][][];
        IntStream.range(0, us.size()).parallel().forEach(i -> {
            Utterance u = us.get(i);
            f[i] = logMel.compute(noise.apply(u.samples(), new Random(seed * 1_000_003L + u.index())));
        });
        return new SpeechSet(us, f, logMel.config().nMels(), (System.nanoTime() - t0) / 1e9);
    }

    public int size() {
        return utterances.size();
    }

    public int nMels() {
        return nMels;
    }

    public List<Utterance> utterances() {
        return utterances;
    }

    public Utterance utterance(int i) {
        return utterances.get(i);
    }

    /** The cached (T, nMels) features of utterance i (not normalised; do not modify). */
    public float[][] features(int i) {
        return features[i];
    }

    public int frames(int i) {
        return features[i].length;
    }

    /** Wall-clock seconds it took to compute the features. */
    public double computeSeconds() {
        return computeSeconds;
    }

    /** Per-bin mean and std of this set's frames: compute it on the training set, pass it to every set's batches. */
    public FeatureStats stats() {
        return FeatureStats.of(this);
    }

    /**
     * The utterances at these positions as one batch: features normalised by {@code norm} and zero-padded to the
     * longest, targets encoded and zero-padded; the true lengths alongside.
     */
    public SpeechBatch batch(int[] indices, FeatureStats norm) {
        Check.arg(indices.length > 0, "indices", "empty", "at least one utterance per batch");
        Check.arg(norm.nMels() == nMels, "norm.nMels", norm.nMels(), nMels + " (the features' mel bins)");
        int b = indices.length, tMax = 0, lMax = 0;
        int[] frames = new int[b], lengths = new int[b];
        int[][] labels = new int[b][];
        List<Utterance> us = new ArrayList<>(b);
        for (int j = 0; j < b; j++) {
            Check.arg(indices[j] >= 0 && indices[j] < size(), "index", indices[j], "a position in [0, " + size() + ")");
            Utterance u = utterances.get(indices[j]);
            us.add(u);
            frames[j] = features[indices[j]].length;
            labels[j] = SpokenDigits.encode(u.transcript());
            lengths[j] = labels[j].length;
            tMax = Math.max(tMax, frames[j]);
            lMax = Math.max(lMax, lengths[j]);
        }
        float[] x = new float[b * tMax * nMels];    // (B, Tmax, nMels), padding left at 0
        int[] y = new int[b * lMax];                // (B, Lmax), padding left at 0
        for (int j = 0; j < b; j++) {
            float[][] f = features[indices[j]];
            for (int t = 0; t < f.length; t++) norm.normalise(f[t], x, (j * tMax + t) * nMels);
            System.arraycopy(labels[j], 0, y, j * lMax, lengths[j]);
        }
        INDArray xs = Nd4j.create(x, new long[] {b, tMax, nMels}, 'c');
        INDArray ys = Nd4j.createFromArray(y).reshape(b, lMax).castTo(DataType.INT);
        return new SpeechBatch(new CtcBatch(xs, frames, ys, lengths), us);
    }

    /** All positions, shuffled by a seeded generator and cut into batches of batchSize (the last may be smaller). */
    public List<int[]> batches(int batchSize, long seed) {
        Check.positive("batchSize", batchSize);
        List<Integer> order = new ArrayList<>(IntStream.range(0, size()).boxed().toList());
        java.util.Collections.shuffle(order, new Random(seed));
        List<int[]> out = new ArrayList<>();
        for (int s = 0; s < order.size(); s += batchSize) {
            out.add(order.subList(s, Math.min(order.size(), s + batchSize)).stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }
}
