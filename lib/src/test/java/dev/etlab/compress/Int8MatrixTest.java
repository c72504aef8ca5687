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

class Int8MatrixTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    @Test
    void aHandWorkedRowIsScaledRoundedAndClamped() {
        float[] w = {1f, -2f, 0.5f, 4f, 0f, 0f};
        Int8Matrix m = Int8Matrix.quantize(w, 1, 6, 6);
        float s = 4f / 127;
        assertEquals(s, m.scales()[0]);
        // 1 / (4/127) = 31.75 → 32;  −2 / s = −63.5 → −64 (halves away from zero);  0.5 / s = 15.875 → 16;  4 / s = 127
        assertArrayEquals(new byte[] {32, -64, 16, 127, 0, 0}, m.values());
        assertEquals(-Int8Matrix.roundHalfAwayFromZero(63.5f), Int8Matrix.roundHalfAwayFromZero(-63.5f), "symmetric rounding");
    }

    @Test
    void everyValueIsWithinHalfAScaleAndTheBlockMaximumIsExact() {
        INDArray w = TestData.normal(3, DataType.FLOAT, 5, 64);
        for (int bs : new int[] {64, 32, 8}) {
            Int8Matrix m = Int8Matrix.quantize(w, bs);
            assertEquals(5 * 64 / bs, m.scales().length);
            float[] orig = w.dup('c').data().asFloat(), back = m.dequantizeToFloats();
            for (int j = 0; j < orig.length; j++) {
                float s = m.scales()[j / bs];
                assertTrue(Math.abs(orig[j] - back[j]) <= s / 2 * 1.0001, "value " + j + " block " + bs);
            }
            for (int b = 0; b < m.scales().length; b++) {
                int max = 0;
                for (int j = b * bs; j < (b + 1) * bs; j++) max = Math.max(max, Math.abs(m.values()[j]));
                assertEquals(127, max, "the largest |w| of a block maps to ±127");
            }
        }
        assertEquals(8 + 32.0 / 32, Int8Matrix.quantize(w, 32).bitsPerValue(), 1e-12);
    }

    @Test
    void aBlockOfZerosStaysZero() {
        Int8Matrix m = Int8Matrix.quantize(new float[] {0, 0, 0, 0, 1, -1, 0.5f, 0}, 1, 8, 4);
        assertEquals(0f, m.scales()[0]);
        assertArrayEquals(new float[] {0, 0, 0, 0, 1, -1, 0.5f * 0 + m.scales()[1] * m.values()[6], 0}, m.dequantizeToFloats());
    }

    @Test
    void badInputIsRefusedWithAReason() {
        var e = assertThrows(IllegalArgumentException.class, () -> Int8Matrix.quantize(new float[12], 2, 6, 4));
        assertEquals("blockSize = 4: expected a divisor of the row length 6 (each row is cut into whole blocks; use per-row scaling or another block size)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Int8Matrix.quantize(new float[] {1, Float.NaN}, 1, 2, 2));
        assertEquals("data = an array containing NaN: expected finite values only", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Int8Matrix(2, 4, 2, new byte[8], new float[3]));
        assertEquals("scales = 3 floats: expected 4 = rows × cols / blockSize floats", e.getMessage());
    }
}
