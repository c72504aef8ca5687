package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.nn.Init;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.EagerOnlyException;
import dev.etlab.tensor.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Batch normalisation of each channel of (B, T, C) over the batch and time axes (Ioffe and Szegedy 2015,
 * https://arxiv.org/abs/1502.03167, Algorithm 1 and 2), after the depthwise convolution of the Conformer's
 * convolution module (Gulati et al. 2020, Figure 2):
 * <pre>
 * training:   y = (x − μ_B) / √(σ²_B + ε) · γ + β      μ_B, σ²_B over the B·T frames (biased variance)
 *             running ← (1 − momentum) · running + momentum · batch   (unbiased variance, as PyTorch)
 * evaluation: y = (x − running mean) / √(running variance + ε) · γ + β
 * </pre>
 * The mode is an argument of {@link #apply}: see the package documentation for why. The running statistics
 * are fixed buffers ({@code running_mean}, {@code running_var}: saved, never trained), updated in place by a
 * training pass on an eager engine ({@code NdOps}, {@code TapeOps}); a SameDiff graph has no values to
 * update them with and leaves them as they are. Padded frames, if any, count in the batch statistics.
 *
 * @param momentum weight of the new batch in the running statistics (PyTorch's default 0.1)
 * @param eps      added to the variance (PyTorch's default 1e-5)
 */
public record BatchNorm1d(String prefix, int channels, double momentum, double eps) {

    public BatchNorm1d {
        Check.positive("channels", channels);
        Check.arg(momentum > 0 && momentum <= 1, "momentum", momentum, "a value in (0, 1]");
        Check.arg(eps > 0, "eps", eps, "a positive value");
    }

    /** momentum 0.1, ε = 1e-5 (PyTorch's BatchNorm1d defaults, used by the reference implementations). */
    public BatchNorm1d(String prefix, int channels) {
        this(prefix, channels, 0.1, 1e-5);
    }

    public void declare(ParamStore store) {
        store.declare(prefix + "gain", Init.ones(), channels);
        store.declare(prefix + "bias", Init.zeros(), channels);
        store.buffer(prefix + "running_mean", Init.zeros(), channels);
        store.buffer(prefix + "running_var", Init.ones(), channels);
    }

    /** x (B, T, C) → (B, T, C), with the batch's statistics ({@code training}) or the running ones. */
    public <T> T apply(Ops<T> ops, T x, boolean training) {
        Frames.check(ops, x, channels);
        T gain = ops.param(prefix + "gain"), bias = ops.param(prefix + "bias");
        if (!training) {
            T centred = ops.sub(x, ops.param(prefix + "running_mean"));
            T normed = ops.mul(centred, ops.rsqrt(ops.add(ops.param(prefix + "running_var"), eps)));
            return ops.add(ops.mul(normed, gain), bias);                            // Algorithm 2, step 10
        }
        long frames = ops.size(x, 0) * ops.size(x, 1);
        Check.arg(frames >= 2, "batch × time", frames, "at least 2 frames in training mode (one frame has no variance to normalise by)");
        T mean = ops.mean(x, false, 0, 1);                                           // (C) μ_B
        T centred = ops.sub(x, mean);
        T variance = ops.mean(ops.square(centred), false, 0, 1);                      // (C) σ²_B, biased
        T normed = ops.mul(centred, ops.rsqrt(ops.add(variance, eps)));              // Algorithm 1
        updateRunningStatistics(ops, mean, variance, frames);
        return ops.add(ops.mul(normed, gain), bias);
    }

    private <T> void updateRunningStatistics(Ops<T> ops, T mean, T variance, long frames) {
        INDArray batchMean, batchVariance, runningMean, runningVariance;
        try {
            batchMean = ops.value(mean);
            batchVariance = ops.value(variance);
            runningMean = ops.value(ops.param(prefix + "running_mean"));
            runningVariance = ops.value(ops.param(prefix + "running_var"));
        } catch (EagerOnlyException graph) {
            return;                                                                  // a SameDiff graph: no values to update with
        }
        double unbiased = frames / (frames - 1.0);
        runningMean.muli(1 - momentum).addi(batchMean.castTo(runningMean.dataType()).mul(momentum));
        runningVariance.muli(1 - momentum).addi(batchVariance.castTo(runningVariance.dataType()).mul(momentum * unbiased));
    }
}
