package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.nn.LayerNorm;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;
import java.util.Arrays;

/**
 * The Conformer's convolution module (Gulati et al. 2020, Section 2.2, Figure 2):
 * <pre>
 * LayerNorm → pointwise conv (D → 2D) → GLU → depthwise conv (k) → BatchNorm → Swish → pointwise conv (D → D) → dropout
 * </pre>
 * The residual is the block's ({@link ConformerBlock}). {@code training} selects BatchNorm's statistics
 * ({@link BatchNorm1d}). Given a frame padding mask, padded frames are zeroed after the GLU, so the depthwise
 * convolution sees zeros past the end of a shorter utterance, as it would without the batch's padding (as ESPnet
 * and fairseq2 do); they still count in BatchNorm's batch statistics, as in those implementations.
 *
 * @param kernel k of the depthwise convolution: odd for "same" padding (31 in reference implementations;
 *               the paper's kernel-size ablation, Section 3.4, found 32 best among 3–65), any when causal
 */
public record ConvolutionModule(String prefix, int dModel, int kernel, double dropout, boolean causal) {

    public ConvolutionModule {
        Check.positive("dModel", dModel);
        Check.probability("dropout", dropout);
        new DepthwiseConv1d(prefix + "depthwise.", dModel, kernel, causal);          // validates the kernel
    }

    /** "Same" padding, kernel 31, no dropout. */
    public ConvolutionModule(String prefix, int dModel) {
        this(prefix, dModel, 31, 0.0, false);
    }

    public LayerNorm norm() { return new LayerNorm(prefix + "ln.", dModel); }
    public PointwiseConv expand() { return new PointwiseConv(prefix + "pointwise1.", dModel, 2 * dModel); }
    public DepthwiseConv1d depthwise() { return new DepthwiseConv1d(prefix + "depthwise.", dModel, kernel, causal); }
    public BatchNorm1d batchNorm() { return new BatchNorm1d(prefix + "bn.", dModel); }
    public PointwiseConv project() { return new PointwiseConv(prefix + "pointwise2.", dModel, dModel); }

    public void declare(ParamStore store) {
        norm().declare(store);
        expand().declare(store);
        depthwise().declare(store);
        batchNorm().declare(store);
        project().declare(store);
    }

    /** x (B, T, D) → (B, T, D), without the residual; no padding. */
    public <T> T apply(Ops<T> ops, T x, boolean training) {
        return apply(ops, x, null, training);
    }

    /**
     * @param x            (B, T, D)
     * @param framePadding (B, T) 1 = frame, 0 = padding; or null
     * @return (B, T, D), without the residual
     */
    public <T> T apply(Ops<T> ops, T x, T framePadding, boolean training) {
        Frames.check(ops, x, dModel);
        T gated = Glu.apply(ops, expand().apply(ops, norm().apply(ops, x)));         // (B, T, 2D) → (B, T, D)
        if (framePadding != null) {
            long[] s = ops.shape(x);
            long[] m = ops.shape(framePadding);
            Check.arg(m.length == 2 && m[0] == s[0] && m[1] == s[1], "framePadding", "tensor of shape " + Arrays.toString(m),
                "shape (" + s[0] + ", " + s[1] + "): batch and time of x");
            gated = ops.mul(gated, ops.reshape(framePadding, s[0], s[1], 1));         // padded frames → 0
        }
        T local = depthwise().apply(ops, gated);                                      // (B, T, D)
        T activated = Swish.apply(ops, batchNorm().apply(ops, local, training));
        return ops.dropout(project().apply(ops, activated), dropout);
    }
}
