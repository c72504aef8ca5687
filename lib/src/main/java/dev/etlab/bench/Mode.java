package dev.etlab.bench;

/** What a benchmark point times. */
public enum Mode {
    /** Inference: the eager INDArray forward pass. */
    FORWARD,
    /** Training: the SameDiff graph's forward pass plus gradients of every parameter and the input. */
    FORWARD_BACKWARD;

    public String label() {
        return this == FORWARD ? "forward" : "forward+backward";
    }
}
