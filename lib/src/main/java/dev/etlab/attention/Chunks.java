package dev.etlab.attention;

import dev.etlab.tensor.Ops;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sequence-axis helpers shared by the blockwise mechanisms: padding a length to a multiple of a
 * chunk (done inside a layer and undone before it returns, so callers never see it) and lower
 * triangular masks for causal work inside one chunk.
 */
final class Chunks {
    private Chunks() {}

    /** The smallest multiple of {@code chunk} that is ≥ {@code length}. */
    static long paddedLength(long length, long chunk) {
        return (length + chunk - 1) / chunk * chunk;
    }

    /** Appends {@code count} positions filled with {@code value} along {@code axis}. */
    static <T> T padAxis(Ops<T> ops, T x, int axis, long count, double value) {
        if (count == 0) return x;
        long[] s = ops.shape(x);
        int a = axis < 0 ? s.length + axis : axis;
        s[a] = count;
        return ops.concat(a, x, ops.constant(Nd4j.valueArrayOf(s, value, ops.dataType())));
    }

    /**
     * Shifts {@code x} by {@code shift} positions along {@code axis}, keeping its size: position a receives
     * position a − shift (shift &gt; 0 brings earlier positions forward, shift &lt; 0 later ones back), and the
     * positions left empty are filled with {@code value}. Blockwise mechanisms use it on the block axis to give
     * each block its neighbour, without gather.
     */
    static <T> T shift(Ops<T> ops, T x, int axis, long shift, double value) {
        if (shift == 0) return x;
        long[] s = ops.shape(x);
        int a = axis < 0 ? s.length + axis : axis;
        long size = s[a], count = Math.min(Math.abs(shift), size);
        s[a] = count;
        T fill = ops.constant(Nd4j.valueArrayOf(s, value, ops.dataType()));
        if (count == size) return fill;
        return shift > 0 ? ops.concat(a, fill, ops.slice(x, a, 0, size - count))
            : ops.concat(a, ops.slice(x, a, count, size), fill);
    }

    /**
     * (B, P) additive key bias for a sequence of {@code length} positions padded internally to {@code padded}:
     * 0 for real keys, {@link Masks#NEG} for the caller's padding (keyPadding (B, T) of 1/0) and for the
     * internal padding. Without keyPadding it is a (1, P) constant.
     */
    static <T> T keyBias(Ops<T> ops, T keyPadding, long length, long padded) {
        if (keyPadding == null) {
            double[] bias = new double[Math.toIntExact(padded)];
            for (long j = length; j < padded; j++) bias[(int) j] = Masks.NEG;
            return ops.constant(Nd4j.create(bias, new long[] {1, padded}, org.nd4j.linalg.api.buffer.DataType.DOUBLE));
        }
        T bias = ops.mul(ops.add(keyPadding, -1.0), -Masks.NEG);   // (B, T): 0 token, NEG padding
        return padAxis(ops, bias, 1, padded - length, Masks.NEG);  // (B, P)
    }

    /** (C, C) with 1 where key j ≤ query i inside a chunk, else 0. */
    static org.nd4j.linalg.api.ndarray.INDArray lowerTriangle(long c, org.nd4j.linalg.api.buffer.DataType type) {
        double[] m = new double[Math.toIntExact(c * c)];
        for (int i = 0; i < c; i++) for (int j = 0; j <= i; j++) m[(int) (i * c + j)] = 1;
        return Nd4j.create(m, new long[] {c, c}, org.nd4j.linalg.api.buffer.DataType.DOUBLE).castTo(type);
    }
}
