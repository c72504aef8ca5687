package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.nn.Init;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A CTC speech encoder (Gulati et al. 2020, https://arxiv.org/abs/2005.08100, Figure 1, with a CTC output layer
 * instead of the paper's LSTM decoder): log-mel frames (B, T, F) →
 * <pre>
 * ConvSubsampling (two 3 × 3 stride-2 convolutions, T → T' ≈ T/4, then a linear map to D) → dropout
 *   → N blocks ({@link EncoderBlock}: Conformer, attention-only or conv-only) → linear (D → V): logits (B, T', V)
 * </pre>
 * Utterances shorter than the batch's T are padded at the end; their valid length after subsampling,
 * {@link ConvSubsampling#outputLength}, gives the key-padding mask of the attention and the frames the
 * convolution modules zero (the valid output frames never see padded input: the subsampling has no padding).
 * Class 0 of the output is the CTC blank ({@link CtcLoss}).
 *
 * <p>Parameters: {@code sub.*}, {@code blocks.i.*} (as {@link ConformerBlock}'s), {@code out.w} (D, V), {@code out.b} (V).
 */
public final class SpeechEncoder {
    private final SpeechEncoderConfig config;
    private final ParamStore params;

    /** A float32 model, parameters drawn from {@code seed}. */
    public SpeechEncoder(SpeechEncoderConfig config, long seed) {
        this(config, DataType.FLOAT, seed);
    }

    /** A model of the given floating-point type (DOUBLE for gradient checks). */
    public SpeechEncoder(SpeechEncoderConfig config, DataType type, long seed) {
        this.config = config;
        this.params = new ParamStore(type, seed);
        declare(config, params);
    }

    static void declare(SpeechEncoderConfig c, ParamStore store) {
        subsampling(c).declare(store);
        for (EncoderBlock b : blocks(c)) b.declare(store);
        store.declare("out.w", Init.xavier(), c.dModel(), c.vocabSize());
        store.declare("out.b", Init.zeros(), c.vocabSize());
    }

    public SpeechEncoderConfig config() { return config; }
    public ParamStore params() { return params; }

    /** Trainable scalars. */
    public long parameterCount() { return params.trainableCount(); }

    public ConvSubsampling subsampling() { return subsampling(config); }
    public List<EncoderBlock> blocks() { return blocks(config); }

    private static ConvSubsampling subsampling(SpeechEncoderConfig c) {
        return new ConvSubsampling("sub.", c.melBins(), c.subsamplingChannels(), c.dModel());
    }

    private static List<EncoderBlock> blocks(SpeechEncoderConfig c) {
        List<EncoderBlock> out = new ArrayList<>(c.blocks());
        for (int i = 0; i < c.blocks(); i++) {
            out.add(new EncoderBlock("blocks." + i + ".", c.kind(), c.dModel(), c.heads(), c.dFf(), c.kernel(), c.dropout()));
        }
        return out;
    }

    /** Valid output frames of each utterance: {@link ConvSubsampling#outputLength} of its input frames. */
    public static int[] outputLengths(int[] frameLengths) {
        return Arrays.stream(frameLengths).map(n -> (int) ConvSubsampling.outputLength(n)).toArray();
    }

    /** The fewest input frames that leave {@code outputFrames} after subsampling: 4·T' + 3. */
    public static int minimumInputFrames(int outputFrames) {
        return outputFrames <= 0 ? 0 : 4 * outputFrames + 3;
    }

    /**
     * @param features     (B, T, F) log-mel frames, zero past each utterance's length
     * @param frameLengths (B) input frames of each utterance, {@link ConvSubsampling#MIN_LENGTH} ≤ T_b ≤ T
     * @param training     BatchNorm's mode: batch statistics (and running statistics updated) or the running ones;
     *                     dropout is the engine's (on only on a training tape with a generator)
     * @return logits (B, T', V), T' = {@link ConvSubsampling#outputLength}(T); frames past {@link #outputLengths} are padding
     */
    public <T> T logits(Ops<T> ops, T features, int[] frameLengths, boolean training) {
        long[] s = ops.shape(features);
        checkInput(s, frameLengths);
        T x = ops.dropout(subsampling().apply(ops, features), config.dropout());                  // (B, T', D)
        long frames = ops.size(x, 1);
        T keyPadding = ops.constant(keyPadding(outputLengths(frameLengths), frames, ops.dataType())); // (B, T')
        for (EncoderBlock block : blocks()) x = block.apply(ops, x, keyPadding, training);
        return ops.linear(x, ops.param("out.w"), ops.param("out.b"));                              // (B, T', V)
    }

    /** Evaluation: eager, BatchNorm's running statistics, no dropout. */
    public INDArray logits(INDArray features, int[] frameLengths) {
        return logits(NdOps.of(params, params.dataType()), features.castTo(params.dataType()), frameLengths, false);
    }

    /**
     * The CTC loss of a batch ({@link CtcLoss}), the targets first checked against the frames left after
     * subsampling (an infeasible utterance is named with its input and output frames).
     */
    public <T> T loss(Ops<T> ops, T features, int[] frameLengths, INDArray targets, int[] targetLengths, boolean training, CtcLoss ctc) {
        checkInput(ops.shape(features), frameLengths);
        int[] out = outputLengths(frameLengths);
        int[][] labels = CtcLoss.labels(targets, targetLengths, frameLengths.length, config.vocabSize());
        for (int b = 0; b < labels.length && !ctc.zeroInfinity(); b++) {
            int needed = CtcLoss.minimumFrames(labels[b]);
            Check.arg(out[b] >= needed, "frameLengths[" + b + "]", frameLengths[b],
                "at least " + minimumInputFrames(needed) + " input frames for utterance " + b + ": they leave " + out[b]
                    + " after 4× subsampling, and its " + labels[b].length + " labels need " + needed + " (a blank between adjacent repeats)");
        }
        return ctc.apply(ops, logits(ops, features, frameLengths, training), out, targets, targetLengths);
    }

    /** (B, T') of 1 for a valid frame, 0 for padding. */
    static INDArray keyPadding(int[] lengths, long frames, DataType type) {
        double[][] mask = new double[lengths.length][(int) frames];
        for (int b = 0; b < lengths.length; b++) Arrays.fill(mask[b], 0, Math.min(lengths[b], (int) frames), 1.0);
        return Nd4j.createFromArray(mask).castTo(type);
    }

    private void checkInput(long[] s, int[] frameLengths) {
        Check.arg(s.length == 3, "features", "tensor of shape " + Arrays.toString(s), "rank 3 (batch, frames, mel bins)");
        Check.arg(s[0] >= 1, "features", "tensor of shape " + Arrays.toString(s), "at least one utterance (empty batch)");
        Check.arg(s[1] >= 1, "features", "tensor of shape " + Arrays.toString(s), "at least one frame (empty utterances)");
        Check.arg(s[2] == config.melBins(), "melBins", s[2], config.melBins() + " on axis 2 of features (shape " + Arrays.toString(s) + ")");
        Check.arg(frameLengths != null && frameLengths.length == s[0], "frameLengths",
            frameLengths == null ? null : "an array of " + frameLengths.length, s[0] + " lengths (one per utterance of features)");
        for (int b = 0; b < s[0]; b++) {
            Check.arg(frameLengths[b] >= ConvSubsampling.MIN_LENGTH, "frameLengths[" + b + "]", frameLengths[b],
                "at least " + ConvSubsampling.MIN_LENGTH + " frames for utterance " + b
                    + " (the subsampling's two 3 × 3 stride-2 convolutions leave no frame from fewer)");
            Check.arg(frameLengths[b] <= s[1], "frameLengths[" + b + "]", frameLengths[b],
                "at most " + s[1] + " (the frames on axis 1 of features)");
        }
    }
}
