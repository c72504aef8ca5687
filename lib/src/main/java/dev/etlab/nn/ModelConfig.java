package dev.etlab.nn;

import dev.etlab.Check;
import dev.etlab.attention.AttentionConfig;
import dev.etlab.attention.AttentionDims;
import dev.etlab.attention.StandardAttention;

/**
 * Everything that fixes a model's architecture. A new attention mechanism is just another
 * {@link AttentionConfig}; nothing else changes.
 *
 * @param head       what the model predicts (and so whether attention is causal)
 * @param vocabSize  V, number of token ids
 * @param numClasses C for a classifier; 0 for a language model
 * @param maxLen     longest sequence accepted
 * @param layers     number of Transformer blocks
 * @param heads      attention heads H (must divide dModel)
 * @param dModel     width D
 * @param dFf        feed-forward inner width F (4·D in Vaswani et al.)
 * @param dropout    residual and embedding dropout probability
 * @param positions  how positions are encoded
 * @param pooling    how a classifier pools states (ignored by a language model)
 * @param attention  the attention mechanism and its parameters
 * @param reversible reversible residual blocks (the Reformer's, Section 3): y1 = x1 + Attn(x2), y2 = x2 + FFN(y1), with the
 *                   input copied to both streams and their mean fed to the final LayerNorm; trained with activations
 *                   recomputed from outputs, so activation memory does not grow with depth. False: the ordinary pre-LN blocks.
 * @param feedForwardChunks the feed-forward layer runs on this many slices of the sequence, one at a time (the Reformer's
 *                   chunked feed-forward, Section 3): the same result, a 1/chunks peak for its hidden activations. 1: no chunking.
 */
public record ModelConfig(Head head, int vocabSize, int numClasses, int maxLen, int layers, int heads, int dModel,
                          int dFf, double dropout, Positions positions, Pooling pooling, AttentionConfig attention,
                          boolean reversible, int feedForwardChunks) {

    public ModelConfig {
        Check.arg(head != null, "head", null, "CAUSAL_LM or CLASSIFIER");
        Check.positive("vocabSize", vocabSize);
        Check.positive("maxLen", maxLen);
        Check.positive("layers", layers);
        Check.positive("dFf", dFf);
        Check.probability("dropout", dropout);
        Check.arg(positions != null, "positions", null, "one of " + java.util.Arrays.toString(Positions.values()));
        Check.arg(pooling != null, "pooling", null, "one of " + java.util.Arrays.toString(Pooling.values()));
        Check.arg(attention != null, "attention", null, "an attention config, e.g. new StandardAttention.Config()");
        if (head == Head.CLASSIFIER) {
            Check.arg(numClasses >= 2, "numClasses", numClasses, "at least 2 for a classifier");
        } else {
            Check.arg(numClasses == 0, "numClasses", numClasses, "0 for a language model (it predicts tokens)");
        }
        Check.arg(!head.causal() || attention.supportsCausal(), "attention", attention.kind(),
            "a mechanism with a causal form for a " + head + " model");
        Check.arg(head.causal() || attention.supportsBidirectional(), "attention", attention.kind(),
            "a mechanism with a bidirectional form for a " + head + " model (" + attention.kind() + " is causal only)");
        attentionDims(heads, dModel, maxLen, head); // validates heads and dModel
        Check.arg(feedForwardChunks >= 1 && feedForwardChunks <= maxLen, "feedForwardChunks", feedForwardChunks,
            "1 (no chunking) up to maxLen = " + maxLen + " slices of the sequence");
    }

    /** Ordinary (non-reversible) blocks, feed-forward in one piece. */
    public ModelConfig(Head head, int vocabSize, int numClasses, int maxLen, int layers, int heads, int dModel,
                       int dFf, double dropout, Positions positions, Pooling pooling, AttentionConfig attention) {
        this(head, vocabSize, numClasses, maxLen, layers, heads, dModel, dFf, dropout, positions, pooling, attention, false, 1);
    }

    private static AttentionDims attentionDims(int heads, int dModel, int maxLen, Head head) {
        return new AttentionDims(dModel, heads, maxLen, head.causal());
    }

    public AttentionDims attentionDims() {
        return attentionDims(heads, dModel, maxLen, head);
    }

    /** A small causal language model: 2 layers, 4 heads, D = 64, F = 256, sinusoidal positions, standard attention. */
    public static ModelConfig languageModel(int vocabSize, int maxLen) {
        return new ModelConfig(Head.CAUSAL_LM, vocabSize, 0, maxLen, 2, 4, 64, 256, 0.0, Positions.SINUSOIDAL,
            Pooling.MEAN, new StandardAttention.Config());
    }

    /** A small encoder classifier with the same defaults as {@link #languageModel}, mean pooling. */
    public static ModelConfig classifier(int vocabSize, int numClasses, int maxLen) {
        return new ModelConfig(Head.CLASSIFIER, vocabSize, numClasses, maxLen, 2, 4, 64, 256, 0.0, Positions.SINUSOIDAL,
            Pooling.MEAN, new StandardAttention.Config());
    }

    public ModelConfig withLayers(int layers) {
        return new ModelConfig(head, vocabSize, numClasses, maxLen, layers, heads, dModel, dFf, dropout, positions, pooling, attention, reversible, feedForwardChunks);
    }

    public ModelConfig withWidth(int dModel, int heads, int dFf) {
        return new ModelConfig(head, vocabSize, numClasses, maxLen, layers, heads, dModel, dFf, dropout, positions, pooling, attention, reversible, feedForwardChunks);
    }

    public ModelConfig withDropout(double dropout) {
        return new ModelConfig(head, vocabSize, numClasses, maxLen, layers, heads, dModel, dFf, dropout, positions, pooling, attention, reversible, feedForwardChunks);
    }

    public ModelConfig withPositions(Positions positions) {
        return new ModelConfig(head, vocabSize, numClasses, maxLen, layers, heads, dModel, dFf, dropout, positions, pooling, attention, reversible, feedForwardChunks);
    }

    public ModelConfig withPooling(Pooling pooling) {
        return new ModelConfig(head, vocabSize, numClasses, maxLen, layers, heads, dModel, dFf, dropout, positions, pooling, attention, reversible, feedForwardChunks);
    }

    public ModelConfig withAttention(AttentionConfig attention) {
        return new ModelConfig(head, vocabSize, numClasses, maxLen, layers, heads, dModel, dFf, dropout, positions, pooling, attention, reversible, feedForwardChunks);
    }

    public ModelConfig withMaxLen(int maxLen) {
        return new ModelConfig(head, vocabSize, numClasses, maxLen, layers, heads, dModel, dFf, dropout, positions, pooling, attention, reversible, feedForwardChunks);
    }

    /** Reversible residual blocks (true) or ordinary ones; see {@link #reversible()}. */
    public ModelConfig withReversible(boolean reversible) {
        return new ModelConfig(head, vocabSize, numClasses, maxLen, layers, heads, dModel, dFf, dropout, positions, pooling, attention, reversible, feedForwardChunks);
    }

    public ModelConfig withFeedForwardChunks(int chunks) {
        return new ModelConfig(head, vocabSize, numClasses, maxLen, layers, heads, dModel, dFf, dropout, positions, pooling, attention, reversible, chunks);
    }
}
