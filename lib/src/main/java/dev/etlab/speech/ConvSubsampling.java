package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.nn.Init;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Conformer's convolutional subsampling front end (Gulati et al. 2020, Figure 1; layout of the reference
 * implementations): two 2-D convolutions over (time, mel), 3 × 3 with stride 2 and no padding, each followed
 * by ReLU, then a linear map of the (mel', channels) at each frame to D. Time and mel shrink about 4×:
 * T' = ⌊(⌊(T − 3)/2⌋ + 1 − 3)/2⌋ + 1, the same for the mel bins ({@link #outputLength}).
 *
 * <p>Each convolution is written with Ops: nine strided slices of the input (one per tap, every second
 * frame and bin taken by a reshape), side by side on the channel axis, times a (9·Cin, Cout) matrix.
 *
 * @param prefix   parameter names: {@code conv1.w} (9, C), {@code conv1.b}, {@code conv2.w} (9C, C), {@code conv2.b}, {@code out.w} (F''·C, D), {@code out.b}
 * @param melBins  F, the input's feature bins, ≥ 7
 * @param channels C, the convolutions' output channels (D in the reference implementations)
 * @param dModel   D
 */
public record ConvSubsampling(String prefix, int melBins, int channels, int dModel) {

    /** Kernel and stride of both convolutions. */
    public static final int KERNEL = 3, STRIDE = 2;
    /** The shortest input that leaves one output frame. */
    public static final int MIN_LENGTH = 7;

    public ConvSubsampling {
        Check.arg(melBins >= MIN_LENGTH, "melBins", melBins, "at least " + MIN_LENGTH + " (two 3 × 3 convolutions with stride 2 need 7 bins to leave one)");
        Check.positive("channels", channels);
        Check.positive("dModel", dModel);
    }

    /** Frames (or bins) left of {@code length} after both convolutions; 0 when fewer than {@link #MIN_LENGTH}. */
    public static long outputLength(long length) {
        long once = length < KERNEL ? 0 : (length - KERNEL) / STRIDE + 1;
        return once < KERNEL ? 0 : (once - KERNEL) / STRIDE + 1;
    }

    public void declare(ParamStore store) {
        long taps = (long) KERNEL * KERNEL;
        store.declare(prefix + "conv1.w", Init.xavier(), taps, channels);
        store.declare(prefix + "conv1.b", Init.zeros(), channels);
        store.declare(prefix + "conv2.w", Init.xavier(), taps * channels, channels);
        store.declare(prefix + "conv2.b", Init.zeros(), channels);
        store.declare(prefix + "out.w", Init.xavier(), outputLength(melBins) * channels, dModel);
        store.declare(prefix + "out.b", Init.zeros(), dModel);
    }

    /** features (B, T, F) log-mel frames → (B, T', D), T' = {@link #outputLength}(T). */
    public <T> T apply(Ops<T> ops, T features) {
        long[] s = ops.shape(features);
        Check.arg(s.length == 3, "features", "tensor of shape " + Arrays.toString(s), "rank 3 (batch, time, mel bins)");
        Check.arg(s[1] >= MIN_LENGTH, "time", s[1],
            "at least " + MIN_LENGTH + " frames (two 3 × 3 convolutions with stride 2 leave none from fewer)");
        Check.arg(s[2] == melBins, "melBins", s[2], melBins + " on axis 2 of features (shape " + Arrays.toString(s) + ")");
        T x = ops.reshape(features, s[0], s[1], s[2], 1);                                            // (B, T, F, 1)
        x = ops.relu(conv(ops, x, "conv1."));                                                         // (B, T1, F1, C)
        x = ops.relu(conv(ops, x, "conv2."));                                                         // (B, T2, F2, C)
        long[] c = ops.shape(x);
        T frames = ops.reshape(x, c[0], c[1], c[2] * c[3]);                                           // (B, T2, F2·C)
        return ops.linear(frames, ops.param(prefix + "out.w"), ops.param(prefix + "out.b"));         // (B, T2, D)
    }

    /** 3 × 3 convolution with stride 2, no padding: x (B, T, F, Cin) → (B, T', F', Cout). */
    private <T> T conv(Ops<T> ops, T x, String name) {
        long[] s = ops.shape(x);
        long t = (s[1] - KERNEL) / STRIDE + 1, f = (s[2] - KERNEL) / STRIDE + 1;
        List<T> taps = new ArrayList<>(KERNEL * KERNEL);
        for (int dt = 0; dt < KERNEL; dt++) {
            T rows = everyStride(ops, x, 1, dt, t);                                                   // (B, T', F, Cin)
            for (int df = 0; df < KERNEL; df++) taps.add(everyStride(ops, rows, 2, df, f));          // (B, T', F', Cin)
        }
        T patches = ops.concat(3, taps);                                                              // (B, T', F', 9·Cin), tap-major
        return ops.linear(patches, ops.param(prefix + name + "w"), ops.param(prefix + name + "b"));
    }

    /** Elements start, start + 2, …, start + 2(count − 1) along an axis: a slice read as (count, 2), first column. */
    private static <T> T everyStride(Ops<T> ops, T x, int axis, long start, long count) {
        long[] s = ops.shape(x);
        long end = start + STRIDE * count;
        if (end > s[axis]) {                                                                          // the last pair's second half lies past the end
            long[] pad = s.clone();
            pad[axis] = end - s[axis];
            x = ops.concat(axis, x, ops.constant(Nd4j.zeros(ops.dataType(), pad)));
        }
        T span = ops.slice(x, axis, start, end);
        long[] pairs = new long[s.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i == axis) {
                pairs[j++] = count;
                pairs[j++] = STRIDE;
            } else {
                pairs[j++] = s[i];
            }
        }
        T first = ops.slice(ops.reshape(span, pairs), axis + 1, 0, 1);
        long[] out = s.clone();
        out[axis] = count;
        return ops.reshape(first, out);
    }
}
