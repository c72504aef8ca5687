package dev.etlab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.indexing.conditions.Conditions;

/** Check.allFinite's one Java pass against ND4J's own NaN and infinity searches, on plain arrays and views. */
class CheckAllFiniteTest {
    @BeforeAll
    static void init() {
        Lab.init();
    }

    static boolean oracle(INDArray x) {
        return !(BooleanIndexing.or(x, Conditions.isNan()) || BooleanIndexing.or(x, Conditions.isInfinite()));
    }

    @ParameterizedTest(name = "{0} n={1}")
    @CsvSource({"FLOAT,1", "FLOAT,7", "FLOAT,4096", "FLOAT,4097", "FLOAT,10001", "DOUBLE,1", "DOUBLE,4097", "HALF,33"})
    void agreesWithNd4jForEveryBadValueAndPlace(DataType type, int n) {
        double[] bad = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        int[] places = {0, n / 2, n - 1, Math.min(n - 1, 4095), Math.min(n - 1, 4096)};
        INDArray clean = Nd4j.rand(DataType.DOUBLE, n).subi(0.5).muli(type == DataType.HALF ? 1e4 : 1e30).castTo(type);   // large, still finite
        assertEquals(true, Check.allFinite(clean), "large finite values");
        for (double b : bad) {
            for (int at : places) {
                INDArray x = clean.dup();
                x.putScalar(at, b);
                if (type != DataType.HALF) assertEquals(oracle(x), Check.allFinite(x), type + " " + b + " at " + at);   // ND4J misses NaN in half arrays
                assertEquals(false, Check.allFinite(x), type + " " + b + " at " + at);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"FLOAT", "DOUBLE"})
    void readsViewsByTheirOwnElements(DataType type) {
        INDArray base = Nd4j.rand(type, 6, 50);
        base.putScalar(new long[] {0, 3}, Double.NaN);                      // outside the views below
        INDArray rows = base.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all());
        INDArray columns = base.get(NDArrayIndex.all(), NDArrayIndex.interval(10, 20));
        assertEquals(true, Check.allFinite(rows), "rows 2..4 hold no NaN");
        assertEquals(true, Check.allFinite(columns), "columns 10..19 hold no NaN");
        assertEquals(true, Check.allFinite(base.get(NDArrayIndex.interval(1, 6), NDArrayIndex.all()).transpose()), "a transposed view");
        assertEquals(false, Check.allFinite(base), "the whole array does");
        base.putScalar(new long[] {3, 12}, Double.POSITIVE_INFINITY);
        assertEquals(false, Check.allFinite(rows));
        assertEquals(false, Check.allFinite(columns));
    }
}
