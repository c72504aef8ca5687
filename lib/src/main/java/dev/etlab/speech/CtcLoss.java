package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.tensor.EagerOnlyException;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.SdOps;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Connectionist temporal classification (Graves et al. 2006, "Connectionist Temporal Classification: Labelling
 * Unsegmented Sequence Data with Recurrent Neural Networks", ICML, https://www.cs.toronto.edu/~graves/icml_2006.pdf):
 * the negative log-probability −ln p(l | x) of a label sequence l summed over every frame-level path that
 * collapses to it (repeats merged, then blanks removed), computed by the forward–backward recursion over the
 * extended sequence l' — l with a blank before, between and after its labels, |l'| = 2|l| + 1 states.
 *
 * <pre>
 * y_t(k)  = softmax over the V classes of the logits at frame t               (Section 3)
 * α_1(1) = y_1(b), α_1(2) = y_1(l_1)                                           Eq. (5)
 * α_t(s) = (α_{t−1}(s) + α_{t−1}(s−1) [+ α_{t−1}(s−2)]) · y_t(l'_s)           Eq. (6), (7): the skip only when
 *                                                                              l'_s ≠ b and l'_s ≠ l'_{s−2}
 * p(l|x) = α_T(|l'|) + α_T(|l'| − 1)                                          Eq. (8)
 * β_T(|l'|) = y_T(b), β_T(|l'| − 1) = y_T(l_|l|)                               Eq. (10)
 * β_t(s) = (β_{t+1}(s) + β_{t+1}(s+1) [+ β_{t+1}(s+2)]) · y_t(l'_s)           Eq. (11), (12)
 * ∂(−ln p)/∂u_t(k) = y_t(k) − 1/(p · y_t(k)) · Σ_{s: l'_s = k} α_t(s) β_t(s)  Eq. (16)
 * </pre>
 * Everything runs in log space (the paper rescales instead, Eq. 9 and 13) in plain Java doubles, one utterance
 * at a time: T and |l| are small here (a few hundred frames, tens of labels), and the recursion is sequential.
 * The value and the gradient come from the same pass; {@link #apply} hands the gradient to the training tape
 * ({@link TapeOps#custom}). On {@link dev.etlab.tensor.NdOps} it returns the value only; a SameDiff graph
 * ({@link SdOps}) has no values to run the recursion on and throws {@link EagerOnlyException}.
 *
 * <p>Inputs: logits (B, T, V) — unnormalised, the softmax is taken here; class 0 is the blank ({@link #BLANK});
 * frame lengths T_b ∈ [1, T] (frames past T_b are padding: they neither change the loss nor get a gradient);
 * targets (B, L) integer labels in [1, V), of which the first L_b ∈ [0, L] count (the rest is padding).
 *
 * <p>An alignment needs at least L_b + (number of adjacent equal labels in l) frames: a repeated label needs a
 * blank between its copies. With fewer, p = 0 and the loss is infinite: {@link #apply} throws, naming the
 * utterance, unless {@code zeroInfinity} is set, which makes that utterance's loss and gradient 0 (PyTorch's
 * {@code zero_infinity}).
 *
 * @param reduction    how per-utterance losses become one number ({@link Reduction})
 * @param zeroInfinity an infeasible utterance counts 0 (and gets no gradient) instead of throwing
 */
public record CtcLoss(Reduction reduction, boolean zeroInfinity) {

    /** The blank's class index. */
    public static final int BLANK = 0;

    /** How the batch's per-utterance losses −ln p(l_b | x_b) are combined. */
    public enum Reduction {
        /** (1/B) Σ_b −ln p(l_b|x_b): the mean negative log-likelihood per utterance. Our default. */
        MEAN,
        /** (1/B) Σ_b −ln p(l_b|x_b) / max(L_b, 1): PyTorch's {@code reduction='mean'} (per target label, then averaged). */
        MEAN_PER_LABEL,
        /** Σ_b −ln p(l_b|x_b). */
        SUM
    }

    public CtcLoss {
        Check.arg(reduction != null, "reduction", null, "one of " + Arrays.toString(Reduction.values()));
    }

    /** {@link Reduction#MEAN} over the batch; infeasible alignments throw. */
    public CtcLoss() {
        this(Reduction.MEAN, false);
    }

    /** Per-utterance losses and the gradient of the reduced loss with respect to the logits. */
    public record Result(double loss, double[] perUtterance, double[][][] gradient) {}

    /**
     * The reduced loss as a scalar tensor of {@code ops}; on a tape, with its gradient.
     *
     * @param logits        (B, T, V)
     * @param frameLengths  (B) valid frames of each utterance, 1 ≤ T_b ≤ T
     * @param targets       (B, L) integer labels in [1, V); the first targetLengths[b] of row b count
     * @param targetLengths (B) 0 ≤ L_b ≤ L
     */
    @SuppressWarnings("unchecked")
    public <T> T apply(Ops<T> ops, T logits, int[] frameLengths, INDArray targets, int[] targetLengths) {
        if (ops instanceof SdOps) {
            throw new EagerOnlyException("CtcLoss (its forward-backward recursion runs in Java on the logits' values)");
        }
        INDArray value = ops.value(logits);
        Result r = compute(value, frameLengths, targets, targetLengths);
        INDArray loss = Nd4j.scalar(ops.dataType(), r.loss());
        if (ops instanceof TapeOps tape) {
            Var in = (Var) logits;
            long[] shape = value.shape();
            return (T) tape.custom(new Var[] {in}, new INDArray[] {loss}, g -> {
                INDArray grad = toArray(r.gradient(), shape, value.dataType());
                return new INDArray[] {grad.muli(g[0].getDouble(0))};
            })[0];
        }
        return ops.constant(loss);
    }

    /** As {@link #apply} with integer targets given as rows (each row's length is its target length). */
    public <T> T apply(Ops<T> ops, T logits, int[] frameLengths, int[][] targets) {
        int[] lengths = Arrays.stream(targets).mapToInt(row -> row.length).toArray();
        return apply(ops, logits, frameLengths, padTargets(targets), lengths);
    }

    /** Targets of different lengths as one (B, max L) INT array, padded with the blank (ignored past each length). */
    public static INDArray padTargets(int[][] targets) {
        int longest = Math.max(1, Arrays.stream(targets).mapToInt(row -> row.length).max().orElse(0));
        int[][] padded = new int[targets.length][longest];
        for (int b = 0; b < targets.length; b++) System.arraycopy(targets[b], 0, padded[b], 0, targets[b].length);
        return Nd4j.createFromArray(padded);
    }

    /** The loss, the per-utterance losses and the gradient (zero on padded frames), in doubles. */
    public Result compute(INDArray logits, int[] frameLengths, INDArray targets, int[] targetLengths) {
        Check.rank("logits", logits, 3, "(batch, frames, classes)");
        long[] s = logits.shape();
        int batch = (int) s[0], frames = (int) s[1], classes = (int) s[2];
        Check.arg(batch >= 1, "logits", "array of shape " + Arrays.toString(s), "at least one utterance on axis 0");
        Check.arg(classes >= 2, "classes", classes, "at least 2 on axis 2 of logits (the blank and one label)");
        int[][] labels = labels(targets, targetLengths, batch, classes);
        checkFrameLengths(frameLengths, batch, frames);
        double[] flat = logits.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] per = new double[batch];
        double[][][] grad = new double[batch][frames][classes];
        double total = 0;
        for (int b = 0; b < batch; b++) {
            int needed = minimumFrames(labels[b]);
            if (frameLengths[b] < needed) {
                Check.arg(zeroInfinity, "frameLengths[" + b + "]", frameLengths[b],
                    "at least " + needed + " frames for utterance " + b + " (" + labels[b].length + " labels with "
                        + (needed - labels[b].length) + " adjacent repeats, each needing a blank between): no alignment exists and the CTC loss is infinite (or set zeroInfinity)");
                continue;                                                        // loss 0, gradient 0
            }
            double[][] logProbs = logSoftmax(flat, b, frameLengths[b], frames, classes);
            double weight = switch (reduction) {
                case MEAN -> 1.0 / batch;
                case MEAN_PER_LABEL -> 1.0 / (batch * Math.max(1, labels[b].length));
                case SUM -> 1.0;
            };
            per[b] = utterance(logProbs, labels[b], grad[b], weight);
            total += weight * per[b];
        }
        return new Result(total, per, grad);
    }

    /** L + the number of adjacent equal labels: the fewest frames an alignment of {@code labels} needs. */
    public static int minimumFrames(int[] labels) {
        int repeats = 0;
        for (int i = 1; i < labels.length; i++) if (labels[i] == labels[i - 1]) repeats++;
        return labels.length + repeats;
    }

    /**
     * −ln p(l | x) of one utterance from its log-probabilities (T_b, V); adds {@code weight} × Eq. (16) into
     * {@code grad} (rows T_b and beyond stay 0).
     */
    static double utterance(double[][] logY, int[] l, double[][] grad, double weight) {
        int t1 = logY.length, states = 2 * l.length + 1;
        int[] ext = new int[states];                                                  // l': b, l_1, b, l_2, …, b
        for (int s = 0; s < states; s++) ext[s] = s % 2 == 0 ? BLANK : l[s / 2];
        double[][] alpha = new double[t1][states], beta = new double[t1][states];
        for (double[] row : alpha) Arrays.fill(row, Double.NEGATIVE_INFINITY);
        for (double[] row : beta) Arrays.fill(row, Double.NEGATIVE_INFINITY);
        alpha[0][0] = logY[0][BLANK];                                                 // Eq. (5)
        if (states > 1) alpha[0][1] = logY[0][ext[1]];
        for (int t = 1; t < t1; t++) {
            for (int s = 0; s < states; s++) {
                double sum = alpha[t - 1][s];
                if (s >= 1) sum = logAdd(sum, alpha[t - 1][s - 1]);
                if (s >= 2 && ext[s] != BLANK && ext[s] != ext[s - 2]) sum = logAdd(sum, alpha[t - 1][s - 2]); // Eq. (7)
                alpha[t][s] = sum + logY[t][ext[s]];                                  // Eq. (6)
            }
        }
        double logP = alpha[t1 - 1][states - 1];                                      // Eq. (8)
        if (states > 1) logP = logAdd(logP, alpha[t1 - 1][states - 2]);
        beta[t1 - 1][states - 1] = logY[t1 - 1][BLANK];                               // Eq. (10)
        if (states > 1) beta[t1 - 1][states - 2] = logY[t1 - 1][ext[states - 2]];
        for (int t = t1 - 2; t >= 0; t--) {
            for (int s = 0; s < states; s++) {
                double sum = beta[t + 1][s];
                if (s + 1 < states) sum = logAdd(sum, beta[t + 1][s + 1]);
                if (s + 2 < states && ext[s] != BLANK && ext[s + 2] != ext[s]) sum = logAdd(sum, beta[t + 1][s + 2]); // Eq. (12)
                beta[t][s] = sum + logY[t][ext[s]];                                   // Eq. (11)
            }
        }
        int classes = logY[0].length;
        for (int t = 0; t < t1; t++) {
            for (int k = 0; k < classes; k++) grad[t][k] = weight * Math.exp(logY[t][k]);   // y_t(k)
            for (int s = 0; s < states; s++) {
                // α_t(s)β_t(s)/(p·y_t(l'_s)): the posterior that the path sits in state s at frame t (Eq. 14, 16)
                double occupancy = alpha[t][s] + beta[t][s] - logY[t][ext[s]] - logP;
                if (occupancy > Double.NEGATIVE_INFINITY) grad[t][ext[s]] -= weight * Math.exp(occupancy);
            }
        }
        return -logP;
    }

    /** ln(e^a + e^b) without overflow; −∞ is the log of 0. */
    static double logAdd(double a, double b) {
        if (a == Double.NEGATIVE_INFINITY) return b;
        if (b == Double.NEGATIVE_INFINITY) return a;
        double hi = Math.max(a, b);
        return hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
    }

    /** Log-softmax over the classes of utterance b's first {@code length} frames, from the flat (B, T, V) logits. */
    private static double[][] logSoftmax(double[] flat, int b, int length, int frames, int classes) {
        double[][] out = new double[length][classes];
        for (int t = 0; t < length; t++) {
            int base = (b * frames + t) * classes;
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++) max = Math.max(max, flat[base + k]);
            Check.arg(Double.isFinite(max), "logits[" + b + ", " + t + "]", "a row containing NaN or Inf", "finite logits on the valid frames");
            double sum = 0;
            for (int k = 0; k < classes; k++) sum += Math.exp(flat[base + k] - max);
            double logZ = max + Math.log(sum);
            for (int k = 0; k < classes; k++) {
                out[t][k] = flat[base + k] - logZ;
                Check.arg(!Double.isNaN(out[t][k]), "logits[" + b + ", " + t + "]", "a row containing NaN", "finite logits on the valid frames");
            }
        }
        return out;
    }

    private static void checkFrameLengths(int[] frameLengths, int batch, int frames) {
        Check.arg(frameLengths != null && frameLengths.length == batch, "frameLengths",
            frameLengths == null ? null : "an array of " + frameLengths.length, batch + " lengths (one per utterance of logits)");
        for (int b = 0; b < batch; b++) {
            Check.arg(frameLengths[b] >= 1 && frameLengths[b] <= frames, "frameLengths[" + b + "]", frameLengths[b],
                "a length in [1, " + frames + "] (the frames on axis 1 of logits)");
        }
    }

    /** Each utterance's labels, checked: (B, L) integers, L_b ∈ [0, L], labels in [1, V) (V = {@code classes}). */
    public static int[][] labels(INDArray targets, int[] targetLengths, int batch, int classes) {
        Check.rank("targets", targets, 2, "(batch, labels)");
        Check.arg(!targets.dataType().isFPType(), "targets", "array of type " + targets.dataType(), "an integer array of label ids");
        Check.dim("targets", targets, 0, batch, "one row per utterance of logits");
        int width = (int) targets.size(1);
        Check.arg(targetLengths != null && targetLengths.length == batch, "targetLengths",
            targetLengths == null ? null : "an array of " + targetLengths.length, batch + " lengths (one per utterance)");
        int[][] rows = width == 0 ? new int[batch][0] : targets.toIntMatrix();
        int[][] out = new int[batch][];
        for (int b = 0; b < batch; b++) {
            Check.arg(targetLengths[b] >= 0 && targetLengths[b] <= width, "targetLengths[" + b + "]", targetLengths[b],
                "a length in [0, " + width + "] (the labels on axis 1 of targets)");
            out[b] = Arrays.copyOf(rows[b], targetLengths[b]);
            for (int i = 0; i < out[b].length; i++) {
                int k = out[b][i];
                Check.arg(k != BLANK, "targets[" + b + ", " + i + "]", k, "a label in [1, " + classes + "): class 0 is the CTC blank, never a target");
                Check.arg(k > 0 && k < classes, "targets[" + b + ", " + i + "]", k, "a label in [1, " + classes + ") (V = " + classes + " classes on axis 2 of logits)");
            }
        }
        return out;
    }

    private static INDArray toArray(double[][][] values, long[] shape, DataType type) {
        double[] flat = new double[(int) (shape[0] * shape[1] * shape[2])];
        int i = 0;
        for (double[][] utterance : values) for (double[] frame : utterance) for (double v : frame) flat[i++] = v;
        return Nd4j.create(flat, shape, DataType.DOUBLE).castTo(type);
    }
}
