package dev.etlab.data;

import java.nio.ShortBuffer;

/**
 * One utterance of {@link SpokenDigits}: a row of {@code data/speech/digits.tsv} and its samples.
 *
 * @param index      position in the corpus (0-based), the row number of the TSV without its header
 * @param id         "sNN-UUU": speaker and utterance number
 * @param speaker    "sNN"
 * @param accent     eSpeak NG voice (English accent), e.g. "en-us", "en-gb-scotland", "en-029"
 * @param variant    eSpeak NG voice variant (voice quality), e.g. "m3", "f1", "klatt2"
 * @param rate       speaking rate, eSpeak words per minute
 * @param pitch      base pitch, eSpeak 0–100
 * @param transcript lower-case digit words separated by single spaces, e.g. "three one four"
 * @param pcm        read-only view of the int16 samples (mono, the corpus's sample rate)
 */
public record Utterance(int index, String id, String speaker, String accent, String variant, int rate, int pitch,
                        String transcript, ShortBuffer pcm) {

    /** Number of samples. */
    public int length() {
        return pcm.remaining();
    }

    /** The samples as floats in [-1, 1): int16 / 32768. */
    public float[] samples() {
        ShortBuffer b = pcm.duplicate();
        float[] x = new float[b.remaining()];
        for (int i = 0; i < x.length; i++) x[i] = b.get() / 32768f;
        return x;
    }
}
