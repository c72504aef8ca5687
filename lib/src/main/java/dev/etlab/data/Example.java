package dev.etlab.data;

/**
 * One generated example before batching.
 *
 * @param tokens   input ids, length ≤ T (padded to T in the batch)
 * @param targets  next-token ids aligned with tokens (language modelling), or null
 * @param lossMask 1 where the target counts (language modelling), or null
 * @param label    class label (classification), or -1
 */
public record Example(int[] tokens, int[] targets, float[] lossMask, int label) {

    /** A hash of the content, used to keep held-out examples out of training. */
    long fingerprint() {
        long h = 1125899906842597L;
        for (int t : tokens) h = 31 * h + t;
        if (targets != null) for (int t : targets) h = 31 * h + t;
        return 31 * h + label;
    }
}
