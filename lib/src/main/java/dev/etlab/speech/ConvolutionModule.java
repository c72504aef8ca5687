package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.nn.LayerNorm;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;

/**
 * The Conformer's convolution module (Gulati et al. 2020, Section 2.2, Figure 2):
 * <pre>
 * LayerNorm → pointwise conv (D → 2D) → GLU → depthwise conv (k) → BatchNorm → Swish → pointwise conv (D → D) → dropout
 * </pre>
 * The residual is the block's ({@link ConformerBlock}). {@code training} selects BatchNorm's statistics
 * ({@link BatchNorm1d}). Padded frames, if any, enter the convolution and the batch statistics as they are.
 *
 * @param kernel k of the depthwise convolution: odd for "same" padding (31 in reference implementations;
 *               the paper's ablation, Table 6, found 32 best among 3–65), any when causal
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

    /** x (B, T, D) → (B, T, D), without the residual. */
    public <T> T apply(Ops<T> ops, T x, boolean training) {
        Frames.check(ops, x, dModel);
        T gated = Glu.apply(ops, expand().apply(ops, norm().apply(ops, x)));         // (B, T, 2D) → (B, T, D)
        T local = depthwise().apply(ops, gated);                                      // (B, T, D)
        T activated = Swish.apply(ops, batchNorm().apply(ops, local, training));
        return ops.dropout(project().apply(ops, activated), dropout);
    }
}
