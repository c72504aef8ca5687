package dev.etlab.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The unrolled kernels against plain references, at sizes that are and are not multiples of the unroll width 4. */
class Int8KernelsTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    /** (n, k, m, block size); 64 · 40 · 37 crosses the parallel threshold. */
    static final int[][] SIZES = {{1, 1, 1, 1}, {2, 3, 5, 3}, {3, 5, 2, 5}, {5, 37, 3, 37}, {4, 96, 7, 32}, {64, 37, 40, 37}, {33, 64, 50, 32}};

    @Test
    void int8TimesInt8SumsEachBlockExactlyInInt32() {
        for (int[] s : SIZES) {
            int n = s[0], k = s[1], m = s[2], bs = s[3];
            Int8Matrix x = Int8Matrix.quantize(TestData.normal(1, DataType.FLOAT, n, k), bs);
            Int8Matrix w = Int8Matrix.quantize(TestData.normal(2, DataType.FLOAT, m, k), bs);
            float[] y = Int8Kernels.matmulInt8(x, w);
            float[] ref = new float[n * m];
            for (int i = 0; i < n; i++)
                for (int o = 0; o < m; o++) {
                    float acc = 0;
                    for (int b = 0; b < k / bs; b++) {
                        long sum = 0;
                        for (int j = b * bs; j < (b + 1) * bs; j++) sum += (long) x.values()[i * k + j] * w.values()[o * k + j];
                        acc += x.scales()[i * (k / bs) + b] * w.scales()[o * (k / bs) + b] * (float) sum;
                    }
                    ref[i * m + o] = acc;
                }
            assertArrayEquals(ref, y, "n, k, m, block = " + java.util.Arrays.toString(s));
        }
    }

    @Test
    void floatAndDequantizedKernelsEqualNd4jsProduct() {
        for (int[] s : SIZES) {
            int n = s[0], k = s[1], m = s[2], bs = s[3];
            INDArray x = TestData.normal(3, DataType.FLOAT, n, k);
            Int8Matrix w = Int8Matrix.quantize(TestData.normal(4, DataType.FLOAT, m, k), bs);
            INDArray wHat = w.dequantize(DataType.FLOAT);                       // (m, k)
            float[] expected = x.mmul(wHat.transpose()).dup('c').data().asFloat();
            float[] xf = x.dup('c').data().asFloat();
            float[] dq = Int8Kernels.matmulDequantized(xf, n, w);
            float[] fl = Int8Kernels.matmulFloat(xf, n, w.dequantizeToFloats(), m, k);
            for (int i = 0; i < expected.length; i++) {
                double tol = 1e-5 * (1 + Math.abs(expected[i])) * Math.sqrt(k);
                assertEquals(expected[i], dq[i], tol, "dequantized, sizes " + java.util.Arrays.toString(s));
                assertEquals(expected[i], fl[i], tol, "float, sizes " + java.util.Arrays.toString(s));
            }
        }
    }

    @Test
    void int8ActivationsStayCloseToTheFloatProduct() {
        INDArray x = TestData.normal(5, DataType.FLOAT, 16, 64);
        Int8Matrix w = Int8Matrix.quantize(TestData.normal(6, DataType.FLOAT, 24, 64), 32);
        float[] exact = x.mmul(w.dequantize(DataType.FLOAT).transpose()).dup('c').data().asFloat();
        float[] int8 = Int8Kernels.matmulInt8(Int8Matrix.quantize(x, 32), w);
        double err = 0, norm = 0;
        for (int i = 0; i < exact.length; i++) { err += Math.pow(exact[i] - int8[i], 2); norm += Math.pow(exact[i], 2); }
        double relative = Math.sqrt(err / norm);
        assertTrue(relative > 0 && relative < 0.02, "relative error of quantizing the activations: " + relative);
    }

    @Test
    void mismatchedOperandsAreRefused() {
        Int8Matrix w = Int8Matrix.quantize(Nd4j.ones(DataType.FLOAT, 2, 64), 32);
        var e = assertThrows(IllegalArgumentException.class, () -> Int8Kernels.matmulInt8(Int8Matrix.quantize(Nd4j.ones(DataType.FLOAT, 2, 64), 64), w));
        assertEquals("x block size = 64: expected the weight's block size 32", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Int8Kernels.matmulDequantized(new float[10], 1, w));
        assertEquals("x = 10 floats: expected 1 × 64 (rows × the weight's inputs)", e.getMessage());
    }
}
