package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.nn.ParamStore;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The shape of a {@link SpeechEncoder}.
 *
 * @param kind                 the blocks' modules ({@link BlockKind})
 * @param melBins              F, features per input frame (80 log-mel bins in the paper, Section 3.1)
 * @param vocabSize            V, output classes including the CTC blank at 0
 * @param dModel               D (144 for Conformer S in the paper, Table 1)
 * @param heads                attention heads (4 in Conformer S); unused by CONV_ONLY but still a divisor of D
 * @param dFf                  feed-forward width (4D in the paper)
 * @param kernel               depthwise convolution kernel, odd (32 in the paper, 31 in reference implementations)
 * @param blocks               number of blocks N (16 in Conformer S)
 * @param subsamplingChannels  channels of the two subsampling convolutions (D in the reference implementations)
 * @param dropout              after the subsampling and inside the blocks (0.1 in the paper, Section 3.2)
 */
public record SpeechEncoderConfig(BlockKind kind, int melBins, int vocabSize, int dModel, int heads, int dFf, int kernel,
                                  int blocks, int subsamplingChannels, double dropout) {

    public SpeechEncoderConfig {
        Check.arg(kind != null, "kind", null, "one of " + java.util.Arrays.toString(BlockKind.values()));
        Check.arg(vocabSize >= 2, "vocabSize", vocabSize, "at least 2 (the CTC blank and one label)");
        Check.positive("blocks", blocks);
        new ConvSubsampling("sub.", melBins, subsamplingChannels, dModel);           // validates melBins, channels
        new EncoderBlock("b.", kind, dModel, heads, dFf, kernel, dropout);          // validates the block's sizes
    }

    /** A Conformer with subsampling channels = D, d_ff = 4D. */
    public static SpeechEncoderConfig conformer(int melBins, int vocabSize, int dModel, int heads, int kernel, int blocks, double dropout) {
        return new SpeechEncoderConfig(BlockKind.CONFORMER, melBins, vocabSize, dModel, heads, 4 * dModel, kernel, blocks, dModel, dropout);
    }

    public SpeechEncoderConfig withKind(BlockKind kind) {
        return new SpeechEncoderConfig(kind, melBins, vocabSize, dModel, heads, dFf, kernel, blocks, subsamplingChannels, dropout);
    }

    public SpeechEncoderConfig withDff(int dFf) {
        return new SpeechEncoderConfig(kind, melBins, vocabSize, dModel, heads, dFf, kernel, blocks, subsamplingChannels, dropout);
    }

    public SpeechEncoderConfig withDropout(double dropout) {
        return new SpeechEncoderConfig(kind, melBins, vocabSize, dModel, heads, dFf, kernel, blocks, subsamplingChannels, dropout);
    }

    /** Trainable scalars of a model of this shape (counted from its declared parameters). */
    public long parameterCount() {
        ParamStore store = new ParamStore(DataType.FLOAT, 0);
        SpeechEncoder.declare(this, store);
        return store.trainableCount();
    }

    /**
     * This shape with {@code kind} and the feed-forward width that brings its parameter count closest to
     * {@code this} one's: the ablation at equal parameters. The removed module's weights go to the two
     * feed-forward modules of each block (each unit of d_ff costs 2·(2D + 1) parameters per block), so depth,
     * width D and everything else stay the same; equal parameters is not equal compute (the attention's cost
     * grows with T², a feed-forward unit's with T). Within 2·(2D + 1)·N / 2 parameters of the target, i.e. far
     * inside 1 % for the sizes used here; the same kind and d_ff for {@code kind} = this kind.
     */
    public SpeechEncoderConfig matchedParameters(BlockKind kind) {
        long target = parameterCount();
        SpeechEncoderConfig one = withKind(kind).withDff(1), two = withKind(kind).withDff(2);
        long base = one.parameterCount(), slope = two.parameterCount() - base;       // count(d) = base + slope·(d − 1)
        long dFf = Math.max(1, 1 + Math.round((target - base) / (double) slope));
        return withKind(kind).withDff(Math.toIntExact(dFf));
    }
}
