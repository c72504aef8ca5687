package dev.etlab.data;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A batch of utterances for a CTC recogniser, padded to its longest member — padding is said, not silent: the true
 * lengths come with it.
 *
 * @param features      (B, Tmax, nMels) float: normalised log-mel frames; frames t ≥ frameLengths[b] are 0
 * @param frameLengths  (B) frames of each utterance
 * @param targets       (B, Lmax) int: character labels ({@link SpokenDigits#encode}); positions ≥ targetLengths[b] are 0
 * @param targetLengths (B) characters of each transcript
 * @param utterances    (B) what each row is
 */
public record SpeechBatch(INDArray features, int[] frameLengths, INDArray targets, int[] targetLengths, List<Utterance> utterances) {

    public int size() {
        return frameLengths.length;
    }

    /** (B, Tmax) float: 1 for a real frame, 0 for padding. */
    public INDArray frameMask() {
        long t = features.size(1);
        float[][] m = new float[frameLengths.length][(int) t];
        for (int b = 0; b < m.length; b++) java.util.Arrays.fill(m[b], 0, frameLengths[b], 1f);
        return Nd4j.create(m);
    }
}
