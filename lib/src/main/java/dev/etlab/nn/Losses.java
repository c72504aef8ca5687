package dev.etlab.nn;

import dev.etlab.tensor.Ops;

/** Cross-entropy losses, written once for training graphs and eager evaluation. */
public final class Losses {
    private Losses() {}

    /**
     * Mean negative log-likelihood of next-token targets over the positions where the mask is 1.
     *
     * @param logits   (B, T, V)
     * @param targets  (B, T) integer ids
     * @param lossMask (B, T) 1 where the prediction counts
     */
    public static <T> T languageModelling(Ops<T> ops, T logits, T targets, T lossMask) {
        T nll = ops.softmaxCrossEntropy(logits, targets); // (B, T)
        return ops.div(ops.sum(ops.mul(nll, lossMask), false), ops.sum(lossMask, false));
    }

    /**
     * Mean negative log-likelihood of class labels.
     *
     * @param logits (B, C)
     * @param labels (B) integer labels
     */
    public static <T> T classification(Ops<T> ops, T logits, T labels) {
        T nll = ops.softmaxCrossEntropy(logits, labels); // (B)
        return ops.mean(nll, false);
    }
}
