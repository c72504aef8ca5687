package dev.etlab.tensor;

import java.util.Arrays;

/** Static shape rules for the operations in {@link Ops}; SameDiff does not know output shapes before execution. */
final class Shapes {
    private Shapes() {}

    static int axis(int axis, int rank) {
        int a = axis < 0 ? rank + axis : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException("axis = " + axis + ": expected an axis of a rank-" + rank + " tensor");
        }
        return a;
    }

    /** Axes made non-negative, de-duplicated and sorted ascending. */
    static int[] sortedAxes(int[] axes, int rank) {
        return java.util.Arrays.stream(axes).map(a -> axis(a, rank)).distinct().sorted().toArray();
    }

    static long[] broadcast(long[] a, long[] b) {
        int r = Math.max(a.length, b.length);
        long[] out = new long[r];
        for (int i = 0; i < r; i++) {
            long x = i < r - a.length ? 1 : a[i - (r - a.length)];
            long y = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (x != y && x != 1 && y != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                    + ": expected shapes that broadcast (equal or 1 on each axis)");
            }
            out[i] = Math.max(x, y);
        }
        return out;
    }

    static long[] matmul(long[] a, long[] b, boolean ta, boolean tb) {
        if (a.length != b.length || a.length < 2) {
            throw new IllegalArgumentException("matmul shapes " + Arrays.toString(a) + " x " + Arrays.toString(b)
                + ": expected two arrays of the same rank >= 2");
        }
        int r = a.length;
        long m = ta ? a[r - 1] : a[r - 2];
        long ka = ta ? a[r - 2] : a[r - 1];
        long kb = tb ? b[r - 1] : b[r - 2];
        long n = tb ? b[r - 2] : b[r - 1];
        if (ka != kb) {
            throw new IllegalArgumentException("matmul shapes " + Arrays.toString(a) + (ta ? "ᵀ" : "") + " x "
                + Arrays.toString(b) + (tb ? "ᵀ" : "") + ": expected matching inner sizes, got " + ka + " and " + kb);
        }
        long[] out = a.clone();
        for (int i = 0; i < r - 2; i++) {
            if (a[i] != b[i]) {
                throw new IllegalArgumentException("matmul shapes " + Arrays.toString(a) + " x " + Arrays.toString(b)
                    + ": expected equal batch axes");
            }
        }
        out[r - 2] = m;
        out[r - 1] = n;
        return out;
    }

    static long[] reduce(long[] s, boolean keepDims, int... axes) {
        boolean[] reduced = new boolean[s.length];
        if (axes.length == 0) Arrays.fill(reduced, true);
        for (int a : axes) reduced[axis(a, s.length)] = true;
        return keepDims
            ? java.util.stream.IntStream.range(0, s.length).mapToLong(i -> reduced[i] ? 1 : s[i]).toArray()
            : java.util.stream.IntStream.range(0, s.length).filter(i -> !reduced[i]).mapToLong(i -> s[i]).toArray();
    }

    static long[] reshape(long[] from, long[] to) {
        long total = 1;
        for (long d : from) total *= d;
        long known = 1;
        int free = -1;
        long[] out = to.clone();
        for (int i = 0; i < to.length; i++) {
            if (to[i] == -1) {
                if (free >= 0) throw new IllegalArgumentException("reshape " + Arrays.toString(to) + ": expected at most one -1");
                free = i;
            } else {
                known *= to[i];
            }
        }
        if (free >= 0) out[free] = known == 0 ? 0 : total / known;
        long got = 1;
        for (long d : out) got *= d;
        if (got != total) {
            throw new IllegalArgumentException("reshape " + Arrays.toString(from) + " -> " + Arrays.toString(to)
                + ": expected the same number of elements (" + total + ")");
        }
        return out;
    }

    static long[] permute(long[] s, int[] axes) {
        if (axes.length != s.length) {
            throw new IllegalArgumentException("permute " + Arrays.toString(axes) + " of shape " + Arrays.toString(s)
                + ": expected " + s.length + " axes");
        }
        long[] out = new long[s.length];
        for (int i = 0; i < axes.length; i++) out[i] = s[axis(axes[i], s.length)];
        return out;
    }

    static long[] concat(int axis, long[][] parts) {
        long[] out = parts[0].clone();
        int a = axis(axis, out.length);
        for (int p = 1; p < parts.length; p++) {
            for (int i = 0; i < out.length; i++) {
                if (i != a && parts[p][i] != out[i]) {
                    throw new IllegalArgumentException("concat along axis " + axis + " of " + Arrays.toString(parts[0])
                        + " and " + Arrays.toString(parts[p]) + ": expected equal sizes off that axis");
                }
            }
            out[a] += parts[p][a];
        }
        return out;
    }

    static long[] slice(long[] s, int axis, long from, long to) {
        int a = axis(axis, s.length);
        if (from < 0 || to > s[a] || from > to) {
            throw new IllegalArgumentException("slice [" + from + ", " + to + ") on axis " + axis + " of shape "
                + Arrays.toString(s) + ": expected 0 <= from <= to <= " + s[a]);
        }
        long[] out = s.clone();
        out[a] = to - from;
        return out;
    }
}
