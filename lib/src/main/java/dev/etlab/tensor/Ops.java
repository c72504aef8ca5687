package dev.etlab.tensor;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The tensor operations that layers and attention mechanisms are written against, once, and run
 * two ways: eagerly on {@link INDArray}s ({@link NdOps}: inference, benchmarks, evaluation) or as a
 * SameDiff graph ({@link SdOps}: training, gradients). Writing each mechanism once keeps the two
 * from drifting apart; the tests check that both give the same numbers.
 *
 * <p>Shapes are static: every operation knows the shape of its result ({@link #shape}).
 * Element-wise operations broadcast with NumPy rules. Negative axes count from the end.
 *
 * @param <T> {@code INDArray} or {@code SDVariable}
 */
public interface Ops<T> {

    /** Floating-point type of parameters and activations (FLOAT to train, DOUBLE for gradient checks). */
    DataType dataType();

    /** A parameter (trainable weight or fixed buffer) by its full name, e.g. {@code blocks.0.attn.wq}. */
    T param(String name);

    /** A constant array, cast to {@link #dataType()} if it is floating point. */
    T constant(INDArray value);

    /** Static shape of a tensor. */
    long[] shape(T x);

    default long size(T x, int axis) {
        long[] s = shape(x);
        return s[axis < 0 ? s.length + axis : axis];
    }

    /** Batched matrix product over the last two axes; leading axes must match (same rank). */
    T matmul(T a, T b, boolean transposeA, boolean transposeB);

    default T matmul(T a, T b) {
        return matmul(a, b, false, false);
    }

    /** x (..., Din) · w (Din, Dout) → (..., Dout), for any number of leading axes. */
    default T linear(T x, T w) {
        long[] xs = shape(x);
        long[] ws = shape(w);
        long rows = 1;
        for (int i = 0; i < xs.length - 1; i++) rows *= xs[i];
        T y = matmul(reshape(x, rows, xs[xs.length - 1]), w);
        long[] out = xs.clone();
        out[out.length - 1] = ws[1];
        return reshape(y, out);
    }

    /** x (..., Din) · w (Din, Dout) + b (Dout). */
    default T linear(T x, T w, T b) {
        return add(linear(x, w), b);
    }

    T add(T a, T b);
    T sub(T a, T b);
    T mul(T a, T b);
    T div(T a, T b);

    T add(T a, double s);
    T mul(T a, double s);

    /** Element-wise max(a, s). */
    T maximum(T a, double s);

    T neg(T a);
    T exp(T a);
    T log(T a);
    T sqrt(T a);
    T square(T a);
    T tanh(T a);
    T sigmoid(T a);
    T relu(T a);
    /** 1 / √a. */
    T rsqrt(T a);
    T abs(T a);

    /** Softmax along one axis, row max subtracted (libnd4j's fused kernel in both modes). */
    T softmax(T a, int axis);

    /** log(softmax(a)) along one axis, computed stably (libnd4j's fused kernel in both modes). */
    T logSoftmax(T a, int axis);

    T sum(T a, boolean keepDims, int... axes);
    T mean(T a, boolean keepDims, int... axes);
    T max(T a, boolean keepDims, int... axes);

    /** Reshape in C order; one size may be -1. */
    T reshape(T a, long... shape);
    T permute(T a, int... axes);
    /** Joins tensors along an axis. */
    T concat(int axis, java.util.List<T> parts);

    @SuppressWarnings("unchecked")
    default T concat(int axis, T... parts) {
        return concat(axis, java.util.Arrays.asList(parts)); // a List: generic varargs arrive as Object[]
    }

    /** The half-open range [from, to) along one axis. */
    T slice(T a, int axis, long from, long to);

    /** Integer indices (...) → one-hot vectors (..., depth) of {@link #dataType()}. */
    T oneHot(T indices, int depth);

    /** Identity forward, no gradient backward. */
    T stopGradient(T a);

    /**
     * The current value of {@code x}, for decisions that get no gradient (LSH buckets, say). Eager
     * engines only ({@link NdOps}, {@link TapeOps}); a graph ({@link SdOps}) has no values while it
     * is built and throws {@link EagerOnlyException}.
     */
    INDArray value(T x);

    /**
     * Rows picked by index, per leading item: {@code a} (N, L, X...) and integer {@code index} (N, M)
     * with values in [0, L) → (N, M, X...), out[n, m] = a[n, index[n, m]]. The gradient is summed back
     * into the rows picked (a row picked twice gets both). Eager engines only: SameDiff's gather
     * backward is broken in ND4J 1.0.0-M2.1, so {@link SdOps} throws {@link EagerOnlyException}.
     */
    T gatherRows(T a, INDArray index);

    /** Running sum along an axis; exclusive: position i holds the sum of positions before i. */
    T cumsum(T a, int axis, boolean exclusive);

    /**
     * Inverted dropout with drop probability p: identity at inference (eager mode and p == 0);
     * in a training graph a mask placeholder is filled by the trainer each step.
     */
    T dropout(T a, double p);

    /**
     * Offers an intermediate value (attention probabilities, say) to whoever is recording:
     * {@link NdOps#recording} keeps them; other instances ignore them.
     */
    default void record(String name, T value) {}

    /** Gives a graph node a readable name (no-op in eager mode). Returns {@code a}. */
    default T named(T a, String name) {
        return a;
    }

    // ---- derived operations, written once for both modes ----

    default T scale(T a, double s) {
        return mul(a, s);
    }

    default T constantScalar(double v) {
        return constant(org.nd4j.linalg.factory.Nd4j.scalar(dataType(), v));
    }

    /**
     * GELU, tanh approximation (Hendrycks and Gimpel 2016, as in GPT-2):
     * 0.5·x·(1 + tanh(u)) with u = √(2/π)(x + 0.044715x³), computed as x·σ(2u), the same value in fewer graph ops.
     * For float32 with the Vector API on, {@link NdOps} and {@link TapeOps} run a fused kernel ({@code VectorKernels}).
     */
    default T gelu(T x) {
        double c = 2 * Math.sqrt(2.0 / Math.PI);
        T twoU = mul(x, add(mul(square(x), c * 0.044715), c)); // 2u = x·(c + c·0.044715·x²)
        return mul(x, sigmoid(twoU));
    }

    /**
     * Layer normalisation over the last axis (Ba et al. 2016): (x − mean)/√(var + ε)·gain + bias,
     * with the biased variance. {@link TapeOps} keeps this forward and hand-writes the backward; for float32 with the
     * Vector API on, {@link NdOps} and {@link TapeOps} run a fused kernel instead ({@code VectorKernels}).
     */
    default T layerNorm(T x, T gain, T bias, double eps) {
        T centred = sub(x, mean(x, true, -1));
        T variance = mean(square(centred), true, -1);
        T normed = mul(centred, rsqrt(add(variance, eps)));
        return add(mul(normed, gain), bias);
    }

    /**
     * Negative log-likelihood of integer targets under softmax(logits) along the last axis: logits (..., V) and
     * targets (...) → (...), −log softmax(logits)[target] (0 where a target lies outside [0, V)). Written as
     * −Σ onehot(target) ⊙ logSoftmax(logits); {@link TapeOps} and {@link NdOps} fuse it for float32.
     */
    default T softmaxCrossEntropy(T logits, T targets) {
        int v = (int) size(logits, -1);
        return neg(sum(mul(oneHot(targets, v), logSoftmax(logits, -1)), false, -1));
    }

    /** Swap the last two axes. */
    default T transposeLast(T a) {
        int r = shape(a).length;
        int[] p = new int[r];
        for (int i = 0; i < r; i++) p[i] = i;
        p[r - 1] = r - 2;
        p[r - 2] = r - 1;
        return permute(a, p);
    }
}
