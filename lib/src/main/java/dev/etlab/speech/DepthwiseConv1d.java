package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.nn.Init;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;

/**
 * Depthwise 1-D convolution over the time axis of (B, T, C): each channel c has its own kernel of k taps,
 * y[t, c] = b[c] + Σ_s w[s, c] · x[t + s − left, c], zeros outside the sequence (cross-correlation, as in
 * deep-learning libraries). The Conformer's convolution module uses it with k = 32 in the paper
 * (Gulati et al. 2020, kernel-size ablation in Section 3.4; odd k ≈ 31 in reference implementations, so that
 * "same" padding is symmetric).
 *
 * <p>Padding keeps the length T: "same" pads (k − 1)/2 frames on each side (k must be odd); causal pads
 * k − 1 frames on the left only, so y[t] depends on x[≤ t] (any k). Written with one pad and k slices,
 * each multiplied by its tap and summed — k copies of x at most, never (T × T).
 *
 * @param prefix   parameter names: {@code w} (k, C), {@code b} (C)
 * @param channels C
 * @param kernel   k, ≥ 1; odd unless causal
 * @param causal   left padding only
 */
public record DepthwiseConv1d(String prefix, int channels, int kernel, boolean causal) {

    public DepthwiseConv1d {
        Check.positive("channels", channels);
        Check.positive("kernel", kernel);
        Check.arg(causal || kernel % 2 == 1, "kernel", kernel,
            "an odd size for \"same\" padding ((k − 1)/2 frames each side), or causal = true");
    }

    public void declare(ParamStore store) {
        store.declare(prefix + "w", Init.uniform(1 / Math.sqrt(kernel)), kernel, channels); // fan-in k per channel, as PyTorch's Conv1d with groups = C
        store.declare(prefix + "b", Init.zeros(), channels);
    }

    /** Frames of zero padding before the sequence. */
    public int leftPadding() {
        return causal ? kernel - 1 : (kernel - 1) / 2;
    }

    /** x (B, T, C) → (B, T, C). */
    public <T> T apply(Ops<T> ops, T x) {
        Frames.check(ops, x, channels);
        long[] s = ops.shape(x);
        long b = s[0], t = s[1];
        int left = leftPadding(), right = kernel - 1 - left;
        java.util.List<T> parts = new java.util.ArrayList<>(3);
        if (left > 0) parts.add(zeros(ops, b, left));
        parts.add(x);
        if (right > 0) parts.add(zeros(ops, b, right));
        T padded = parts.size() == 1 ? x : ops.concat(1, parts);                          // (B, left + T + right, C)
        T w = ops.param(prefix + "w");                                                    // (k, C)
        T y = null;
        for (int tap = 0; tap < kernel; tap++) {
            T term = ops.mul(ops.slice(padded, 1, tap, tap + t), ops.slice(w, 0, tap, tap + 1)); // (B, T, C) · (1, C)
            y = y == null ? term : ops.add(y, term);
        }
        return ops.add(y, ops.param(prefix + "b"));
    }

    private <T> T zeros(Ops<T> ops, long batch, long frames) {
        return ops.constant(org.nd4j.linalg.factory.Nd4j.zeros(ops.dataType(), batch, frames, channels));
    }
}
