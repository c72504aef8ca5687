package dev.etlab.data;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One batch of examples.
 *
 * @param tokens   (B, T) integer token ids
 * @param targets  language modelling: (B, T) next-token ids; classification: (B) labels
 * @param lossMask language modelling: (B, T) float, 1 where the prediction counts (e.g. only the copied half);
 *                 null for classification
 * @param padMask  (B, T) float, 1 for real tokens and 0 for padding; null when nothing is padded
 */
public record Batch(INDArray tokens, INDArray targets, INDArray lossMask, INDArray padMask) {

    public int size() {
        return (int) tokens.size(0);
    }

    public int length() {
        return (int) tokens.size(1);
    }
}
