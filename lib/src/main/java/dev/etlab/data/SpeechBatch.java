package dev.etlab.data;

import dev.etlab.speech.CtcBatch;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A batch of utterances for a CTC recogniser, padded to its longest member — padding is said, not silent: the true
 * lengths come with it. The arrays are a {@link CtcBatch} (what {@link dev.etlab.train.CtcTrainer} trains on); this
 * adds which utterance each row is.
 *
 * @param ctc        features (B, Tmax, nMels) float, normalised log-mel frames, 0 past each frame length; targets
 *                   (B, Lmax) int, character labels ({@link SpokenDigits#encode}), 0 past each transcript's length
 * @param utterances (B) what each row is
 */
public record SpeechBatch(CtcBatch ctc, List<Utterance> utterances) {

    public INDArray features() { return ctc.features(); }
    public int[] frameLengths() { return ctc.frameLengths(); }
    public INDArray targets() { return ctc.targets(); }
    public int[] targetLengths() { return ctc.targetLengths(); }
    public int size() { return ctc.size(); }

    /** (B, Tmax) float: 1 for a real frame, 0 for padding. */
    public INDArray frameMask() {
        long t = features().size(1);
        float[][] m = new float[size()][(int) t];
        for (int b = 0; b < m.length; b++) java.util.Arrays.fill(m[b], 0, frameLengths()[b], 1f);
        return Nd4j.create(m);
    }
}
