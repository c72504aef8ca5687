package dev.etlab.nn;

import dev.etlab.Check;
import dev.etlab.attention.AttentionDims;
import dev.etlab.attention.RelativeAttention;

/**
 * Everything that fixes a Transformer-XL language model (Dai et al. 2019, https://arxiv.org/abs/1901.02860).
 *
 * @param vocabSize     V, number of token ids
 * @param segmentLength L, the longest segment one forward pass takes (the model's maxLen)
 * @param memoryLength  M, how many earlier states each layer keeps for the next segment during training (Section 3.2);
 *                      0 turns the recurrence off. Evaluation may use another (longer) memory.
 * @param layers        number of blocks N
 * @param heads         attention heads H (must divide dModel)
 * @param dModel        width D
 * @param dFf           feed-forward inner width F
 * @param dropout       residual and embedding dropout probability
 * @param sharedBiases  u and v shared across layers (the paper's choice, Section 3.3) or one pair per layer
 */
public record TransformerXLConfig(int vocabSize, int segmentLength, int memoryLength, int layers, int heads, int dModel,
                                  int dFf, double dropout, boolean sharedBiases) {

    public TransformerXLConfig {
        Check.positive("vocabSize", vocabSize);
        Check.positive("segmentLength", segmentLength);
        Check.arg(memoryLength >= 0, "memoryLength", memoryLength, "0 (no recurrence) or a positive number of kept states");
        Check.positive("layers", layers);
        Check.positive("dFf", dFf);
        Check.probability("dropout", dropout);
        new AttentionDims(dModel, heads, segmentLength, true); // validates heads and dModel
    }

    /** The size of notebook 00's language model (2 layers, 4 heads, D = 64, F = 256), u and v shared, no dropout. */
    public static TransformerXLConfig languageModel(int vocabSize, int segmentLength, int memoryLength) {
        return new TransformerXLConfig(vocabSize, segmentLength, memoryLength, 2, 4, 64, 256, 0.0, true);
    }

    public AttentionDims attentionDims() {
        return new AttentionDims(dModel, heads, segmentLength, true);
    }

    public RelativeAttention.Config attention() {
        return new RelativeAttention.Config(sharedBiases);
    }

    /** The vanilla Transformer of the same sizes: absolute sinusoidal positions, standard causal attention, maxLen = L. */
    public ModelConfig vanilla() {
        return ModelConfig.languageModel(vocabSize, segmentLength).withLayers(layers).withWidth(dModel, heads, dFf).withDropout(dropout);
    }

    public TransformerXLConfig withMemoryLength(int memoryLength) {
        return new TransformerXLConfig(vocabSize, segmentLength, memoryLength, layers, heads, dModel, dFf, dropout, sharedBiases);
    }

    public TransformerXLConfig withSegmentLength(int segmentLength) {
        return new TransformerXLConfig(vocabSize, segmentLength, memoryLength, layers, heads, dModel, dFf, dropout, sharedBiases);
    }

    public TransformerXLConfig withSize(int layers, int heads, int dModel, int dFf) {
        return new TransformerXLConfig(vocabSize, segmentLength, memoryLength, layers, heads, dModel, dFf, dropout, sharedBiases);
    }

    public TransformerXLConfig withDropout(double dropout) {
        return new TransformerXLConfig(vocabSize, segmentLength, memoryLength, layers, heads, dModel, dFf, dropout, sharedBiases);
    }

    public TransformerXLConfig withSharedBiases(boolean sharedBiases) {
        return new TransformerXLConfig(vocabSize, segmentLength, memoryLength, layers, heads, dModel, dFf, dropout, sharedBiases);
    }
}
