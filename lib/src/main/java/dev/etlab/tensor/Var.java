package dev.etlab.tensor;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A tensor on a {@link TapeOps} tape: its value, computed eagerly, and the gradient of the loss
 * with respect to it, filled in by {@link TapeOps#backward}. Values and gradients are plain ND4J
 * arrays; nothing here is a graph.
 */
public final class Var {
    private final INDArray value;
    private final boolean requiresGrad;
    private INDArray grad;

    Var(INDArray value, boolean requiresGrad) {
        this.value = value;
        this.requiresGrad = requiresGrad;
    }

    public INDArray value() { return value; }

    /** Whether a gradient flows into this tensor (a trainable parameter, or computed from one). */
    public boolean requiresGrad() { return requiresGrad; }

    /** d loss / d this, or null if the backward pass has not reached it. */
    public INDArray grad() { return grad; }

    public long[] shape() { return value.shape().clone(); }

    /** Adds to the gradient. Never in place: a gradient may be a view shared with another tensor's. */
    void accumulate(INDArray g) {
        if (!requiresGrad || g == null) return;
        grad = grad == null ? g : grad.add(g);
    }

    @Override
    public String toString() {
        return "Var" + java.util.Arrays.toString(value.shape()) + (requiresGrad ? " (grad)" : "");
    }
}
