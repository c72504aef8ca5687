package dev.etlab.compress;

import dev.etlab.Check;
import java.util.stream.IntStream;

/**
 * The matrix products of int8 inference, as plain Java loops: no JDK Vector API, which needs
 * {@code --add-modules jdk.incubator.vector} in every JVM that runs the lab (compiler, tests, notebook
 * kernel). Nothing guarantees SIMD here: HotSpot's C2 may vectorize the float loops, and measured on
 * JDK 17 the int8 ones run scalar (notebook 11 times them). All compute y = x · Wᵀ for x (n, k) and a
 * weight stored as W (m, k), row o of W being output o:
 *
 * <ul>
 *   <li>{@link #matmulFloat}: float32 x, float32 W — the twin with the same loop structure, so that
 *       int8 and float32 are compared in the same kind of kernel;</li>
 *   <li>{@link #matmulDequantized}: float32 x, int8 W dequantized on the fly
 *       (y = Σ_b s_b Σ_{j∈b} x_j q_j, the scale applied once per block);</li>
 *   <li>{@link #matmulInt8}: int8 x (quantized per row or block, dynamically) × int8 W with int32
 *       accumulation per block, y = Σ_b s^x_b s^W_b Σ_{j∈b} q^x_j q^W_j (llama.cpp's Q8_0 × Q8_0).</li>
 * </ul>
 * Rows of x are spread over the cores (one parallel helper, {@link #forEachRow}).
 */
public final class Int8Kernels {
    private Int8Kernels() {}

    /** Below this many multiply-adds a product runs on one thread. */
    private static final long PARALLEL_WORK = 1 << 16;

    /** y (n, m) = x (n, k) · Wᵀ, W (m, k) row-major float32. */
    public static float[] matmulFloat(float[] x, int n, float[] w, int m, int k) {
        checkShapes(x, n, k, m);
        Check.arg(w.length == (long) m * k, "w", w.length + " floats", m + " × " + k);
        float[] y = new float[n * m];
        forEachRow(n, (long) m * k, i -> {
            int xi = i * k;
            for (int o = 0; o < m; o++) y[i * m + o] = dot(x, xi, w, o * k, k);
        });
        return y;
    }

    /** y (n, m) = x (n, k) · Ŵᵀ with Ŵ = s · q dequantized block by block inside the loop. */
    public static float[] matmulDequantized(float[] x, int n, Int8Matrix w) {
        int k = w.cols(), m = w.rows(), bs = w.blockSize(), nb = w.blocksPerRow();
        checkShapes(x, n, k, m);
        byte[] q = w.values();
        float[] s = w.scales();
        float[] y = new float[n * m];
        forEachRow(n, (long) m * k, i -> {
            int xi = i * k;
            for (int o = 0; o < m; o++) {
                float acc = 0;
                for (int b = 0; b < nb; b++) {
                    int off = b * bs;
                    acc += s[o * nb + b] * dot(x, xi + off, q, o * k + off, bs); // s_b Σ_j x_j q_j
                }
                y[i * m + o] = acc;
            }
        });
        return y;
    }

    /** y (n, m) = x̂ · Ŵᵀ for int8 x (n, k) and W (m, k) with the same block size: int32 sums per block. */
    public static float[] matmulInt8(Int8Matrix x, Int8Matrix w) {
        Check.arg(x.cols() == w.cols(), "x", x.rows() + " × " + x.cols(), "rows of length " + w.cols() + " (the weight's inputs)");
        Check.arg(x.blockSize() == w.blockSize(), "x block size", x.blockSize(), "the weight's block size " + w.blockSize());
        int n = x.rows(), k = w.cols(), m = w.rows(), bs = w.blockSize(), nb = w.blocksPerRow();
        byte[] qx = x.values(), qw = w.values();
        float[] sx = x.scales(), sw = w.scales();
        float[] y = new float[n * m];
        forEachRow(n, (long) m * k, i -> {
            for (int o = 0; o < m; o++) {
                float acc = 0;
                for (int b = 0; b < nb; b++) {
                    int off = b * bs;
                    int sum = dot(qx, i * k + off, qw, o * k + off, bs);                  // int32: |sum| ≤ 127²·bs
                    acc += sx[i * nb + b] * sw[o * nb + b] * sum;
                }
                y[i * m + o] = acc;
            }
        });
        return y;
    }

    /** Σ_j a[ai + j] · b[bi + j], four independent accumulators (a tail loop handles len % 4). */
    static float dot(float[] a, int ai, float[] b, int bi, int len) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 3 < len; j += 4) {
            s0 += a[ai + j] * b[bi + j];
            s1 += a[ai + j + 1] * b[bi + j + 1];
            s2 += a[ai + j + 2] * b[bi + j + 2];
            s3 += a[ai + j + 3] * b[bi + j + 3];
        }
        for (; j < len; j++) s0 += a[ai + j] * b[bi + j];
        return (s0 + s1) + (s2 + s3);
    }

    /** Σ_j a[ai + j] · q[qi + j] for float a and int8 q. */
    static float dot(float[] a, int ai, byte[] q, int qi, int len) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 3 < len; j += 4) {
            s0 += a[ai + j] * q[qi + j];
            s1 += a[ai + j + 1] * q[qi + j + 1];
            s2 += a[ai + j + 2] * q[qi + j + 2];
            s3 += a[ai + j + 3] * q[qi + j + 3];
        }
        for (; j < len; j++) s0 += a[ai + j] * q[qi + j];
        return (s0 + s1) + (s2 + s3);
    }

    /** Σ_j a[ai + j] · b[bi + j] for int8 a and b, exactly, in int32. */
    static int dot(byte[] a, int ai, byte[] b, int bi, int len) {
        int s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 3 < len; j += 4) {
            s0 += a[ai + j] * b[bi + j];
            s1 += a[ai + j + 1] * b[bi + j + 1];
            s2 += a[ai + j + 2] * b[bi + j + 2];
            s3 += a[ai + j + 3] * b[bi + j + 3];
        }
        for (; j < len; j++) s0 += a[ai + j] * b[bi + j];
        return s0 + s1 + s2 + s3;
    }

    /** Runs {@code body} for every row 0..n−1, in parallel when the work is large enough. */
    static void forEachRow(int n, long workPerRow, java.util.function.IntConsumer body) {
        IntStream rows = IntStream.range(0, n);
        (n * workPerRow >= PARALLEL_WORK ? rows.parallel() : rows).forEach(body);
    }

    private static void checkShapes(float[] x, int n, int k, int m) {
        Check.positive("n", n);
        Check.arg(x != null && x.length == (long) n * k, "x", x == null ? null : x.length + " floats",
            n + " × " + k + " (rows × the weight's inputs)");
        Check.positive("m", m);
    }
}
