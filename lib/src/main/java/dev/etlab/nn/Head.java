package dev.etlab.nn;

/** What the model predicts, which also fixes whether its attention is causal. */
public enum Head {
    /** Next-token logits at every position (B, T, V); causal attention (decoder-only). */
    CAUSAL_LM,
    /** One label per sequence (B, C) from pooled states; bidirectional attention (encoder). */
    CLASSIFIER;

    public boolean causal() {
        return this == CAUSAL_LM;
    }
}
