package dev.etlab.attention;

import dev.etlab.tensor.Ops;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sequence-axis helpers shared by the blockwise mechanisms: padding a length to a multiple of a
 * chunk (done inside a layer and undone before it returns, so callers never see it), cutting a
 * sequence into chunks with their neighbours, picking a few fixed rows by slices, and lower
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

    /** Prepends {@code before} and appends {@code after} positions filled with {@code value} along {@code axis}. */
    static <T> T padAxis(Ops<T> ops, T x, int axis, long before, long after, double value) {
        if (before == 0) return padAxis(ops, x, axis, after, value);
        long[] s = ops.shape(x);
        int a = axis < 0 ? s.length + axis : axis;
        s[a] = before;
        return padAxis(ops, ops.concat(a, ops.constant(Nd4j.valueArrayOf(s, value, ops.dataType())), x), a, after, value);
    }

    // ---- blocks: residue classes mod d (dilation), each cut into chunks of w (Longformer) ----

    /**
     * (B, H, T, X) with T = d·m·w → (B, H, d, m, w, X): position (j·w + a)·d + r goes to [r][j][a], so
     * positions d apart (one residue class mod d) sit next to each other, cut into m chunks of w.
     * With d = 1 this is a plain reshape into chunks. Reshape and permute only, in both directions.
     */
    static <T> T blocks(Ops<T> ops, T x, int w, int d) {
        long[] s = ops.shape(x);
        long m = s[2] / ((long) w * d);
        if (d == 1) return ops.reshape(x, s[0], s[1], 1, m, w, s[3]);
        T byResidue = ops.permute(ops.reshape(x, s[0], s[1], m * w, d, s[3]), 0, 1, 3, 2, 4); // (B, H, d, m·w, X)
        return ops.reshape(byResidue, s[0], s[1], d, m, w, s[3]);
    }

    /** Inverse of {@link #blocks}, from its flattened form (B, H, d·m, w, X) back to (B, H, T, X). */
    static <T> T unblocks(Ops<T> ops, T y, int d) {
        long[] s = ops.shape(y);
        long t = s[2] * s[3];
        if (d == 1) return ops.reshape(y, s[0], s[1], t, s[4]);
        T byResidue = ops.reshape(y, s[0], s[1], d, t / d, s[4]);                               // (B, H, d, m·w, X)
        return ops.reshape(ops.permute(byResidue, 0, 1, 3, 2, 4), s[0], s[1], t, s[4]);
    }

    /**
     * (B, H, d, m, w, X) → (B, H, d, m, (before + 1 + after)·w, X): each chunk preceded by its {@code before}
     * and followed by its {@code after} neighbouring chunks of the same residue class (zeros beyond
     * the ends). Padding plus shifted slices along the chunk axis: no gather, no (T × T) anything.
     */
    static <T> T withNeighbours(Ops<T> ops, T blocks, int before, int after) {
        long m = ops.size(blocks, 3);
        T padded = padAxis(ops, blocks, 3, before, after, 0.0);                                  // (B, H, d, m + before + after, w, X)
        List<T> shifted = new ArrayList<>();
        for (int o = 0; o <= before + after; o++) shifted.add(ops.slice(padded, 3, o, o + m));
        return ops.concat(4, shifted);
    }

    // ---- a few fixed rows: slices of runs of consecutive indices (no gather) ----

    /** [start, end) runs of consecutive values in sorted, distinct {@code indices}. */
    static List<long[]> runs(int[] indices) {
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < indices.length; ) {
            int j = i + 1;
            while (j < indices.length && indices[j] == indices[j - 1] + 1) j++;
            out.add(new long[] {indices[i], indices[j - 1] + 1L});
            i = j;
        }
        return out;
    }

    /** The entries at sorted, distinct {@code indices} along {@code axis}, in order: one slice per run, concatenated. */
    static <T> T rows(Ops<T> ops, T x, int axis, int[] indices) {
        List<T> parts = new ArrayList<>();
        for (long[] r : runs(indices)) parts.add(ops.slice(x, axis, r[0], r[1]));
        return ops.concat(axis, parts);
    }

    /** {@code x} with the entries at sorted, distinct {@code indices} along {@code axis} replaced by those of {@code replacement}, in order. */
    static <T> T replaceRows(Ops<T> ops, T x, int axis, int[] indices, T replacement) {
        List<T> parts = new ArrayList<>();
        long at = 0, used = 0, n = ops.size(x, axis);
        for (long[] r : runs(indices)) {
            if (r[0] > at) parts.add(ops.slice(x, axis, at, r[0]));
            parts.add(ops.slice(replacement, axis, used, used + r[1] - r[0]));
            used += r[1] - r[0];
            at = r[1];
        }
        if (at < n) parts.add(ops.slice(x, axis, at, n));
        return ops.concat(axis, parts);
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
