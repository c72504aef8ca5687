package dev.etlab.compress;

import dev.etlab.Check;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A matrix stored as symmetric int8 values with one float scale per block of {@code blockSize}
 * consecutive values of a row: w ≈ s · q, q ∈ [−127, 127] (absmax quantization, as llama.cpp's and
 * llama3.java's Q8_0 with blocks of 32; one block per row is per-row, i.e. per-output-channel, scaling).
 *
 * <pre>
 * s_b = max_{j ∈ b} |w_j| / 127,   q_j = clamp(round(w_j / s_b), −127, 127),   ŵ_j = s_b · q_j
 * </pre>
 * round takes halves away from zero (C's roundf, as llama.cpp), so the grid is symmetric: q(−w) = −q(w).
 * A block of zeros gets s = 0 and q = 0. The error |w − ŵ| is at most s_b / 2 per value.
 *
 * @param rows      number of rows (for a linear layer's weight: its outputs, the matrix is Wᵀ)
 * @param cols      values per row (for a linear layer: its inputs, the dimension summed over)
 * @param blockSize values per scale; divides {@code cols}; {@code cols} for per-row scaling
 * @param values    (rows, cols) row-major int8 values
 * @param scales    (rows, cols / blockSize) row-major scales
 */
public record Int8Matrix(int rows, int cols, int blockSize, byte[] values, float[] scales) {

    /** The largest quantized magnitude: the grid is symmetric, −128 is never used. */
    public static final int Q_MAX = 127;

    public Int8Matrix {
        Check.positive("rows", rows);
        Check.positive("cols", cols);
        Check.positive("blockSize", blockSize);
        Check.arg(cols % blockSize == 0, "blockSize", blockSize,
            "a divisor of the row length " + cols + " (each row is cut into whole blocks; use per-row scaling or another block size)");
        Check.arg(values != null && values.length == (long) rows * cols, "values",
            values == null ? null : values.length + " bytes", rows * cols + " = rows × cols bytes");
        Check.arg(scales != null && scales.length == (long) rows * (cols / blockSize), "scales",
            scales == null ? null : scales.length + " floats", rows * (cols / blockSize) + " = rows × cols / blockSize floats");
    }

    /** Quantizes a (rows, cols) row-major float array, one scale per block of {@code blockSize} values. */
    public static Int8Matrix quantize(float[] data, int rows, int cols, int blockSize) {
        Check.arg(data != null && data.length == (long) rows * cols, "data", data == null ? null : data.length + " floats",
            rows + " × " + cols + " = " + (long) rows * cols + " floats");
        Check.positive("blockSize", blockSize);
        Check.arg(cols % blockSize == 0, "blockSize", blockSize,
            "a divisor of the row length " + cols + " (each row is cut into whole blocks; use per-row scaling or another block size)");
        for (float v : data) if (!Float.isFinite(v)) Check.arg(false, "data", "an array containing " + v, "finite values only");
        byte[] q = new byte[data.length];
        float[] scales = new float[data.length / blockSize];
        for (int b = 0; b < scales.length; b++) {
            int from = b * blockSize;
            float amax = 0;
            for (int j = from; j < from + blockSize; j++) amax = Math.max(amax, Math.abs(data[j]));
            float s = amax / Q_MAX;                                          // s_b = max|w| / 127
            scales[b] = s;
            if (s == 0) continue;                                            // a block of zeros stays zero
            for (int j = from; j < from + blockSize; j++) {
                int r = roundHalfAwayFromZero(data[j] / s);                  // round(w / s)
                q[j] = (byte) Math.max(-Q_MAX, Math.min(Q_MAX, r));          // clamp to [−127, 127]
            }
        }
        return new Int8Matrix(rows, cols, blockSize, q, scales);
    }

    /** Rounds to the nearest integer, halves away from zero (as C's roundf), so that q(−w) = −q(w). */
    static int roundHalfAwayFromZero(float v) {
        return v >= 0 ? Math.round(v) : -Math.round(-v);
    }

    /** Quantizes a rank-2 array (any floating-point type; values are taken as float32). */
    public static Int8Matrix quantize(INDArray matrix, int blockSize) {
        Check.rank("matrix", matrix, 2, "(rows, cols)");
        Check.arg(matrix.dataType().isFPType(), "matrix", "array of type " + matrix.dataType(), "a floating-point array");
        int rows = Math.toIntExact(matrix.size(0)), cols = Math.toIntExact(matrix.size(1));
        return quantize(matrix.castTo(DataType.FLOAT).dup('c').data().asFloat(), rows, cols, blockSize);
    }

    /** One scale per row (per output channel): the block is the whole row. */
    public static Int8Matrix quantizePerRow(INDArray matrix) {
        Check.rank("matrix", matrix, 2, "(rows, cols)");
        return quantize(matrix, Math.toIntExact(matrix.size(1)));
    }

    public int blocksPerRow() { return cols / blockSize; }

    /** Whether there is one scale per row. */
    public boolean perRow() { return blockSize == cols; }

    /** ŵ = s · q as a (rows, cols) float32 array. */
    public float[] dequantizeToFloats() {
        float[] w = new float[values.length];
        for (int j = 0; j < w.length; j++) w[j] = scales[j / blockSize] * values[j];
        return w;
    }

    /** ŵ = s · q as a (rows, cols) array of {@code type}. */
    public INDArray dequantize(DataType type) {
        return Nd4j.create(dequantizeToFloats(), new long[] {rows, cols}, DataType.FLOAT).castTo(type);
    }

    /** Bytes of storage: one per value plus four per scale. */
    public long storageBytes() {
        return values.length + 4L * scales.length;
    }

    /** Bits per value including the scales: 8 + 32 / blockSize. */
    public double bitsPerValue() {
        return 8.0 * storageBytes() / values.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Int8Matrix m && m.rows == rows && m.cols == cols && m.blockSize == blockSize
            && Arrays.equals(m.values, values) && Arrays.equals(m.scales, scales);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * rows + cols) + 7 * blockSize + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "Int8Matrix[" + rows + " × " + cols + ", " + (perRow() ? "per-row" : "blocks of " + blockSize) + "]";
    }
}
