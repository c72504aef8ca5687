package dev.etlab.attention;

import dev.etlab.Check;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.ParamSource;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One attention layer: (B, T, D) → (B, T, D), including its projections.
 *
 * <p>The maths is written once in {@link #apply}, against {@link Ops}, so the same code builds a
 * trainable SameDiff graph and runs a plain INDArray forward ({@link #forward}) for inference
 * and benchmarks. Every mechanism of the lab implements this interface and is listed in
 * {@link AttentionRegistry}.
 */
public interface Attention {

    AttentionConfig config();

    AttentionDims dims();

    default String name() {
        return config().kind();
    }

    /** Declares this layer's parameters under {@code prefix} (shared ones under names of their own). */
    void declare(ParamStore store, String prefix);

    /**
     * @param x          (B, T, D) input
     * @param keyPadding (B, T) with 1 for real tokens and 0 for padding, or null when nothing is padded
     * @return (B, T, D)
     */
    <T> T apply(Ops<T> ops, String prefix, T x, T keyPadding);

    /**
     * Called by the trainer before optimisation step {@code step} (1-based). Mechanisms with a
     * training-time schedule act here — the Performer redraws its random features. Does nothing by default.
     */
    default void beforeTrainingStep(ParamStore store, String prefix, int step) {}

    /**
     * Called by the trainer after optimisation step {@code step} (1-based) has updated the parameters.
     * Mechanisms with constrained parameters act here — adaptive span clamps its spans z to [0, 1].
     * Does nothing by default.
     */
    default void afterTrainingStep(ParamStore store, String prefix, int step) {}

    /**
     * A term this layer adds to the training loss (a penalty on its own parameters, e.g. adaptive span's
     * coef · S · mean(z)), as a one-element tensor; null (the default) for none. The trainer minimises the
     * task loss plus every layer's term, and reports the task loss alone.
     */
    default <T> T trainingLoss(Ops<T> ops, String prefix) {
        return null;
    }

    /**
     * Eager forward with input checks ({@link #checkInput}); see {@link #apply}. When the parameters'
     * data type is known ({@link ParamSource#dataType()}, e.g. a {@link ParamStore}), {@code x} must
     * have it. A {@code keyPadding} of any numeric type (INT, FLOAT, DOUBLE, ...; not BOOL) is
     * cast to {@code x}'s data type.
     */
    default INDArray forward(ParamSource params, String prefix, INDArray x, INDArray keyPadding) {
        checkInput(x, keyPadding);
        DataType paramType = params.dataType();
        Check.arg(paramType == null || x.dataType() == paramType, "x", "array of type " + x.dataType(),
            "the parameters' data type " + paramType + " (cast x, or create the parameters in " + x.dataType() + ")");
        INDArray pad = keyPadding == null || keyPadding.dataType() == x.dataType() ? keyPadding : keyPadding.castTo(x.dataType());
        INDArray y = apply(NdOps.of(params, x.dataType()), prefix, x, pad);
        // finite input, non-finite output: the scores overflowed (inputs of ~1e20 and up in float32); say so instead of returning NaN
        Check.arg(Check.allFinite(y), "x", String.format("values up to %.3g in magnitude", x.amaxNumber().doubleValue()),
            "inputs small enough that the attention scores stay finite in " + x.dataType()
                + " (the output overflowed to NaN/Inf; normalise the input, e.g. with LayerNorm as the blocks do)");
        return y;
    }

    /**
     * The checks {@link #forward} applies: ranks, sizes, at least one batch item and one position,
     * length ≤ maxLen, a floating-point x with finite values; and a key padding mask, if any, of x's
     * (batch, length), a numeric type and only 0 and 1, with at least one token (1) in every batch item.
     * A fully padded item is rejected rather than given an output: it has no key to attend to (the
     * Performer's normaliser would divide 0 by 0, softmax would attend uniformly to padding).
     */
    default void checkInput(INDArray x, INDArray keyPadding) {
        Check.rank("x", x, 3, "(batch, length, dModel)");
        Check.arg(x.dataType().isFPType(), "x", "array of type " + x.dataType(), "a floating-point array (e.g. FLOAT or DOUBLE)");
        Check.arg(x.size(0) > 0 && x.size(1) > 0, "x", "array of shape " + Arrays.toString(x.shape()),
            "at least one batch item and one position (batch ≥ 1, length ≥ 1)");
        Check.dim("x", x, 2, dims().dModel(), "dModel");
        Check.arg(x.size(1) <= dims().maxLen(), "sequence length", x.size(1), "at most maxLen = " + dims().maxLen());
        Check.finite("x", x);
        if (keyPadding != null) {
            Check.rank("keyPadding", keyPadding, 2, "(batch, length)");
            Check.arg(keyPadding.size(0) == x.size(0) && keyPadding.size(1) == x.size(1), "keyPadding",
                "array of shape " + Arrays.toString(keyPadding.shape()), "shape (" + x.size(0) + ", " + x.size(1) + ") to match x");
            Check.mask("keyPadding", keyPadding);
        }
    }
}
