package dev.etlab.speech;

import dev.etlab.Check;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One batch for CTC training: padded feature frames and padded label sequences, each with its lengths.
 *
 * @param features      (B, T, F) e.g. log-mel frames, zero past each utterance's length
 * @param frameLengths  (B) valid frames of each utterance
 * @param targets       (B, L) integer labels in [1, V) (0 is the CTC blank); the first targetLengths[b] count
 * @param targetLengths (B) valid labels of each utterance
 */
public record CtcBatch(INDArray features, int[] frameLengths, INDArray targets, int[] targetLengths) {

    public CtcBatch {
        Check.rank("features", features, 3, "(batch, frames, features)");
        Check.rank("targets", targets, 2, "(batch, labels)");
        Check.arg(!targets.dataType().isFPType(), "targets", "array of type " + targets.dataType(), "an integer array of label ids");
        long b = features.size(0);
        Check.dim("targets", targets, 0, b, "one row per utterance of features");
        Check.arg(frameLengths != null && frameLengths.length == b, "frameLengths",
            frameLengths == null ? null : "an array of " + frameLengths.length, b + " lengths (one per utterance)");
        Check.arg(targetLengths != null && targetLengths.length == b, "targetLengths",
            targetLengths == null ? null : "an array of " + targetLengths.length, b + " lengths (one per utterance)");
    }

    /** A batch from label rows of any lengths (padded here). */
    public static CtcBatch of(INDArray features, int[] frameLengths, int[][] targets) {
        return new CtcBatch(features, frameLengths, CtcLoss.padTargets(targets), Arrays.stream(targets).mapToInt(r -> r.length).toArray());
    }

    /** Utterances B. */
    public int size() { return (int) features.size(0); }

    /** Each utterance's labels, without padding. */
    public int[][] labels() { return CtcDecoding.rows(targets, targetLengths); }
}
