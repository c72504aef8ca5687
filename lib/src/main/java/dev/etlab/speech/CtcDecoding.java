package dev.etlab.speech;

import dev.etlab.Check;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Best-path (greedy) CTC decoding (Graves et al. 2006, Section 3.2, Eq. 4): the most probable class at each
 * valid frame, then the collapse B that maps a path to a labelling — merge runs of the same class, then drop
 * blanks. It finds the most probable path, not necessarily the most probable labelling (prefix search would),
 * and is what the reference recipes report for CTC without a language model.
 */
public final class CtcDecoding {
    private CtcDecoding() {}

    /**
     * @param logits       (B, T, V) scores (logits or log-probabilities: the argmax is the same)
     * @param frameLengths (B) valid frames of each utterance, 1 ≤ T_b ≤ T
     * @return each utterance's labels (no blanks)
     */
    public static int[][] greedy(INDArray logits, int[] frameLengths) {
        Check.rank("logits", logits, 3, "(batch, frames, classes)");
        int batch = (int) logits.size(0), frames = (int) logits.size(1), classes = (int) logits.size(2);
        Check.arg(frameLengths != null && frameLengths.length == batch, "frameLengths",
            frameLengths == null ? null : "an array of " + frameLengths.length, batch + " lengths (one per utterance of logits)");
        double[] flat = logits.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        int[][] out = new int[batch][];
        for (int b = 0; b < batch; b++) {
            Check.arg(frameLengths[b] >= 0 && frameLengths[b] <= frames, "frameLengths[" + b + "]", frameLengths[b],
                "a length in [0, " + frames + "] (the frames on axis 1 of logits)");
            int[] path = new int[frameLengths[b]];
            for (int t = 0; t < path.length; t++) {
                int base = (b * frames + t) * classes, best = 0;
                for (int k = 1; k < classes; k++) if (flat[base + k] > flat[base + best]) best = k;
                path[t] = best;
            }
            out[b] = collapse(path);
        }
        return out;
    }

    /** B(π): merges runs of the same class, then removes blanks (class {@link CtcLoss#BLANK}). "a a _ a b b" → "a a b". */
    public static int[] collapse(int[] path) {
        List<Integer> labels = new ArrayList<>();
        int previous = -1;
        for (int k : path) {
            if (k != previous && k != CtcLoss.BLANK) labels.add(k);
            previous = k;
        }
        return labels.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Labels as text: label k is {@code alphabet.charAt(k)}; the character at 0 stands for the blank and is never
     * produced (a decoded sequence has no blanks). E.g. alphabet "_ efghinorstuvwxz" (blank, space, letters).
     */
    public static String text(int[] labels, String alphabet) {
        StringBuilder sb = new StringBuilder(labels.length);
        for (int k : labels) {
            Check.arg(k > 0 && k < alphabet.length(), "label", k, "an index in [1, " + alphabet.length() + ") of alphabet \"" + alphabet + "\"");
            sb.append(alphabet.charAt(k));
        }
        return sb.toString();
    }

    /** The first {@code length} labels of each row of a (B, L) integer target array. */
    public static int[][] rows(INDArray targets, int[] lengths) {
        Check.rank("targets", targets, 2, "(batch, labels)");
        int[][] all = targets.size(1) == 0 ? new int[(int) targets.size(0)][0] : targets.toIntMatrix();
        Check.arg(lengths.length == all.length, "lengths", "an array of " + lengths.length, all.length + " (one per row of targets)");
        int[][] out = new int[all.length][];
        for (int b = 0; b < all.length; b++) out[b] = Arrays.copyOf(all[b], lengths[b]);
        return out;
    }
}
