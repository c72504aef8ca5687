package dev.etlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The comparison helper every numerical test relies on must not let a NaN or an infinity through. */
class TestDataTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    @Test
    void maxAbsDiffIsTheLargestElementwiseDifference() {
        INDArray a = TestData.normal(1, DataType.DOUBLE, 2, 3, 4);
        INDArray b = a.dup();
        assertEquals(0.0, TestData.maxAbsDiff(a, b));
        b.putScalar(new long[] {1, 2, 3}, b.getDouble(1, 2, 3) - 0.25);
        b.putScalar(new long[] {0, 1, 0}, b.getDouble(0, 1, 0) + 0.125);
        assertEquals(0.25, TestData.maxAbsDiff(a, b), 1e-15);
        assertEquals(0.25, TestData.maxAbsDiff(a.castTo(DataType.FLOAT), b), 1e-6, "mixed types compare in float64");
    }

    @Test
    void aNaNAnywhereInEitherArrayMakesTheDifferenceNaN() {
        INDArray a = TestData.normal(2, DataType.FLOAT, 2, 8, 4);
        for (long[] at : new long[][] {{1, 7, 3}, {0, 0, 0}, {1, 3, 2}}) {   // last element of a batch item, first, middle
            INDArray b = a.dup();
            b.putScalar(at, Double.NaN);
            double d = TestData.maxAbsDiff(a, b);
            assertTrue(Double.isNaN(d), "NaN at " + java.util.Arrays.toString(at) + ": got " + d);
            assertFalse(TestData.maxAbsDiff(a, b) < 1e-5, "so `maxAbsDiff(a, b) < tol` fails");
            assertTrue(Double.isNaN(TestData.maxAbsDiff(b, a)), "and on the other side too");
            assertTrue(Double.isNaN(TestData.maxAbsDiff(b, b.dup())), "NaN in both arrays is no agreement either");
        }
        // the same through a view: the last row of batch item 1, as the contract tests slice their outputs
        INDArray b = a.dup();
        b.putScalar(new long[] {1, 7, 3}, Double.NaN);
        INDArray viewA = a.get(NDArrayIndex.point(1), NDArrayIndex.interval(4, 8), NDArrayIndex.all());
        INDArray viewB = b.get(NDArrayIndex.point(1), NDArrayIndex.interval(4, 8), NDArrayIndex.all());
        assertTrue(Double.isNaN(TestData.maxAbsDiff(viewA, viewB)));
    }

    @Test
    void anInfinityOnlyOneSideHasIsADifferenceButTheSameInfinityIsNot() {
        INDArray a = TestData.normal(3, DataType.DOUBLE, 3, 5);
        INDArray b = a.dup();
        b.putScalar(new long[] {2, 4}, Double.POSITIVE_INFINITY);
        assertTrue(Double.isNaN(TestData.maxAbsDiff(a, b)));
        INDArray c = b.dup();
        c.putScalar(new long[] {2, 4}, Double.NEGATIVE_INFINITY);
        assertTrue(Double.isNaN(TestData.maxAbsDiff(b, c)), "+Inf against -Inf");
        assertEquals(0.0, TestData.maxAbsDiff(b, b.dup()), "e.g. a -Inf mask at the same place in both");
    }

    @Test
    void differentShapesAreRefusedInsteadOfBroadcast() {
        INDArray a = Nd4j.zeros(DataType.DOUBLE, 2, 3), row = Nd4j.zeros(DataType.DOUBLE, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> TestData.maxAbsDiff(a, row));
        assertEquals("maxAbsDiff: shapes [2, 3] and [3] differ: expected arrays of the same shape", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TestData.maxAbsDiff(a, Nd4j.zeros(DataType.DOUBLE, 3, 2)));
    }
}
