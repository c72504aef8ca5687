package dev.etlab.tensor;

/**
 * Thrown by the graph engine ({@link SdOps}) for an operation that needs values while the model runs
 * ({@link Ops#value}, {@link Ops#gatherRows}): a mechanism that hashes or sorts its inputs (the
 * Reformer's LSH attention) runs on the eager engines only — {@link NdOps} and the training tape
 * {@link TapeOps}.
 */
public final class EagerOnlyException extends UnsupportedOperationException {
    public EagerOnlyException(String operation) {
        super(operation + " needs an eager engine (NdOps or TapeOps): a SameDiff graph has no values while it is built"
            + (operation.startsWith("gatherRows") ? ", and its gather backward is broken in ND4J 1.0.0-M2.1" : ""));
    }
}
