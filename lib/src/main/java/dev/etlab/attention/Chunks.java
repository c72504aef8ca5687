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

    /** Puts {@code count} positions filled with {@code value} in front along {@code axis}. */
    static <T> T prependAxis(Ops<T> ops, T x, int axis, long count, double value) {
        if (count == 0) return x;
        long[] s = ops.shape(x);
        int a = axis < 0 ? s.length + axis : axis;
        s[a] = count;
        return ops.concat(a, ops.constant(Nd4j.valueArrayOf(s, value, ops.dataType())), x);
    }

    /**
     * Copies of x (..., T, C) shifted forward along the sequence axis (the second last) by each of
     * {@code shifts} (all ≥ 0), zeros entering at the front, side by side on the last axis:
     * (..., T, m·C) whose block s at position t holds x[t − shifts[s]] (0 when t − shifts[s] &lt; 0).
     * One front pad, then one slice per shift — a gather written without gather, whose backward
     * fails in SameDiff (ND4J 1.0.0-M2.1). Memory is m copies of x, never (T × T).
     */
    static <T> T shiftedCopies(Ops<T> ops, T x, int[] shifts) {
        long[] s = ops.shape(x);
        int seq = s.length - 2;
        long t = s[seq];
        int reach = 0;
        for (int shift : shifts) reach = Math.max(reach, shift);
        T padded = prependAxis(ops, x, seq, reach, 0);                       // (..., reach + T, C)
        java.util.List<T> parts = new java.util.ArrayList<>(shifts.length);
        for (int shift : shifts) parts.add(ops.slice(padded, seq, reach - shift, reach - shift + t)); // (..., T, C)
        return ops.concat(-1, parts);                                        // (..., T, m·C)
    }

    /** (C, C) with 1 where key j ≤ query i inside a chunk, else 0. */
    static org.nd4j.linalg.api.ndarray.INDArray lowerTriangle(long c, org.nd4j.linalg.api.buffer.DataType type) {
        double[] m = new double[Math.toIntExact(c * c)];
        for (int i = 0; i < c; i++) for (int j = 0; j <= i; j++) m[(int) (i * c + j)] = 1;
        return Nd4j.create(m, new long[] {c, c}, org.nd4j.linalg.api.buffer.DataType.DOUBLE).castTo(type);
    }
}
