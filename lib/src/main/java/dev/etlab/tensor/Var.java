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
    private final boolean outlivesBlocks;
    private INDArray grad;

    Var(INDArray value, boolean requiresGrad) {
        this(value, requiresGrad, false);
    }

    /** @param outlivesBlocks a parameter: its gradient collects across the blocks of a reversible stack, so it is kept out of their workspace */
    Var(INDArray value, boolean requiresGrad, boolean outlivesBlocks) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.outlivesBlocks = outlivesBlocks;
    }

    public INDArray value() { return value; }

    /** Whether a gradient flows into this tensor (a trainable parameter, or computed from one). */
    public boolean requiresGrad() { return requiresGrad; }

    /** d loss / d this, or null if the backward pass has not reached it. */
    public INDArray grad() { return grad; }

    public long[] shape() { return value.shape().clone(); }

    /**
     * Adds to the gradient. Never in place: a gradient may be a view shared with another tensor's.
     * A parameter's gradient collected inside a reversible block's workspace (reset after each block) is
     * copied out of it, so that it survives the block.
     */
    void accumulate(INDArray g) {
        if (!requiresGrad || g == null) return;
        grad = grad == null ? g : grad.add(g);
        if (outlivesBlocks && inBlockWorkspace()) grad = grad.detach();
    }

    /** Whether the current workspace is a reversible block's ({@code dev.etlab.nn.ReversibleStack}), reset after each block. */
    private static boolean inBlockWorkspace() {
        var ws = org.nd4j.linalg.factory.Nd4j.getMemoryManager().getCurrentWorkspace();
        return ws != null && BLOCK_WORKSPACE.equals(ws.getId());
    }

    /** The workspace a reversible stack runs each block in. */
    public static final String BLOCK_WORKSPACE = "etlab-reversible-block";

    @Override
    public String toString() {
        return "Var" + java.util.Arrays.toString(value.shape()) + (requiresGrad ? " (grad)" : "");
    }
}
