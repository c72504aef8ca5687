package dev.etlab.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.GradientCheck;
import dev.etlab.nn.ParamStore;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The two Ops implementations agree with each other, with hand computation and with finite differences. */
class OpsTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static void assertGradients(String what, GradientCheck.Fn fn) {
        ParamStore p = new ParamStore(DataType.DOUBLE, 1);
        p.declare("w", (s, t, r) -> TestData.normal(5, DataType.DOUBLE, s), 2, 3, 4, 5);
        var r = new GradientCheck(1e-6, 1e-5, 1e-8, 12).check(p, TestData.normal(2, DataType.DOUBLE, 2, 3, 4, 5), fn, 3);
        assertTrue(r.passed(), what + ": " + r);
    }

    /** Regression: SameDiff's reduce over axes given in descending order returned wrong values (ND4J 1.0.0-M2.1). */
    @Test
    void multiAxisReductionsMatchLoopsInBothModesWhateverTheAxisOrder() {
        INDArray x = TestData.normal(2, DataType.DOUBLE, 2, 3, 4, 5);
        double[] expected = new double[6];
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < 4; c++) for (int d = 0; d < 5; d++) m = Math.max(m, x.getDouble(a, b, c, d));
                expected[a * 3 + b] = m;
            }
        NdOps nd = NdOps.of(n -> null, DataType.DOUBLE);
        SameDiff sd = SameDiff.create();
        SdOps g = new SdOps(sd, n -> null, DataType.DOUBLE, false);
        SDVariable v = g.placeholder("x", DataType.DOUBLE, 2, 3, 4, 5);
        for (int[] axes : new int[][] {{-1, -2}, {3, 2}, {2, 3}}) {
            SDVariable m = g.max(v, true, axes);
            assertArrayEquals(new long[] {2, 3, 1, 1}, g.shape(m));
            assertArrayEquals(expected, nd.max(x, true, axes).reshape(6).toDoubleVector(), 0.0);
            assertArrayEquals(expected, sd.output(Map.of("x", x), m.name()).get(m.name()).reshape(6).toDoubleVector(), 0.0,
                "graph max over " + java.util.Arrays.toString(axes));
        }
    }

    /**
     * Regression: ND4J 1.0.0-M2.1's float64 softmax returned NaN for a row lying far below the other rows (a fully
     * masked attention row: every score near -1e9), in both modes, when the array has more than one row.
     */
    @Test
    void softmaxOfRowsFarFromTheOthersIsFiniteInBothModesAndTypes() {
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            INDArray x = TestData.normal(4, DataType.DOUBLE, 2, 2, 3, 5);
            x.get(NDArrayIndex.point(1), NDArrayIndex.point(0), NDArrayIndex.point(2), NDArrayIndex.all()).addi(-1e9);
            x.get(NDArrayIndex.point(1), NDArrayIndex.point(1), NDArrayIndex.point(0), NDArrayIndex.all()).addi(-1000);
            x.get(NDArrayIndex.point(0), NDArrayIndex.point(1), NDArrayIndex.point(1), NDArrayIndex.all()).addi(1000);
            INDArray in = x.castTo(type);
            INDArray expected = in.castTo(DataType.DOUBLE).dup('c');             // row by row in float64, shifted by the row's max
            for (int r = 0; r < 12; r++) {
                INDArray row = expected.reshape(12, 5).getRow(r);
                double[] v = row.toDoubleVector();
                double m = java.util.Arrays.stream(v).max().orElseThrow(), z = 0;
                for (double e : v) z += Math.exp(e - m);
                for (int j = 0; j < 5; j++) row.putScalar(j, Math.exp(v[j] - m) / z);
            }
            INDArray eager = NdOps.of(n -> null, type).softmax(in, -1);
            SameDiff sd = SameDiff.create();
            SdOps g = new SdOps(sd, n -> null, type, false);
            SDVariable out = g.softmax(g.placeholder("x", type, 2, 2, 3, 5), -1);
            INDArray graph = sd.output(Map.of("x", in), out.name()).get(out.name());
            double tol = type == DataType.DOUBLE ? 1e-12 : 1e-6;
            assertTrue(TestData.maxAbsDiff(expected, eager) < tol, type + " eager softmax: " + eager);
            assertTrue(TestData.maxAbsDiff(expected, graph) < tol, type + " graph softmax: " + graph);
        }
    }

    @Test
    void gradientsOfTheOpsTheMechanismsUse() {
        assertGradients("matmul transposeA", new GradientCheck.Fn() { public <T> T apply(Ops<T> o, T x) { return o.matmul(x, o.param("w"), true, false); } });
        assertGradients("matmul transposeB", new GradientCheck.Fn() { public <T> T apply(Ops<T> o, T x) { return o.matmul(x, o.param("w"), false, true); } });
        assertGradients("sum keepDims", new GradientCheck.Fn() { public <T> T apply(Ops<T> o, T x) { return o.mul(o.sum(x, true, -2), o.param("w")); } });
        assertGradients("max over two axes (−1, −2)", new GradientCheck.Fn() { public <T> T apply(Ops<T> o, T x) { return o.exp(o.sub(x, o.max(x, true, -1, -2))); } });
        assertGradients("broadcast division", new GradientCheck.Fn() { public <T> T apply(Ops<T> o, T x) { return o.div(o.param("w"), o.add(o.exp(o.sum(x, true, -1)), 1.0)); } });
        assertGradients("linear with a transposed slice", new GradientCheck.Fn() { public <T> T apply(Ops<T> o, T x) { return o.linear(x, o.transposeLast(o.slice(o.reshape(o.param("w"), 24, 5), 0, 0, 7))); } });
        for (int axis = 0; axis < 4; axis++) { // regression: ND4J's cumsum gradient was only right along axis 0
            int a = axis;
            assertGradients("cumsum inclusive, axis " + a, new GradientCheck.Fn() { public <T> T apply(Ops<T> o, T x) { return o.mul(o.cumsum(x, a, false), o.param("w")); } });
            assertGradients("cumsum exclusive, axis " + a, new GradientCheck.Fn() { public <T> T apply(Ops<T> o, T x) { return o.mul(o.cumsum(x, a, true), o.param("w")); } });
        }
        assertGradients("concat and slice", new GradientCheck.Fn() { public <T> T apply(Ops<T> o, T x) { return o.slice(o.concat(2, x, o.param("w")), 2, 2, 7); } });
        assertGradients("log-softmax and softmax", new GradientCheck.Fn() { public <T> T apply(Ops<T> o, T x) { return o.add(o.logSoftmax(x, -1), o.softmax(x, 2)); } });
        assertGradients("gelu, sigmoid, rsqrt", new GradientCheck.Fn() { public <T> T apply(Ops<T> o, T x) { return o.add(o.gelu(x), o.rsqrt(o.add(o.square(x), 1.0))); } });
    }

    /** Regression: NdOps.shape handed out ND4J's own shape array; a caller writing to it corrupted the tensor. */
    @Test
    void shapeIsACopy() {
        INDArray x = TestData.normal(1, DataType.DOUBLE, 2, 3);
        long[] s = NdOps.of(n -> null, DataType.DOUBLE).shape(x);
        s[0] = 7;
        assertArrayEquals(new long[] {2, 3}, x.shape());
    }

    @Test
    void concatOfPermutedViewsKeepsEveryRow() {
        NdOps nd = NdOps.of(n -> null, DataType.DOUBLE);
        INDArray x = TestData.normal(1, DataType.DOUBLE, 1, 1, 6, 2);
        INDArray view = x.permute(0, 1, 3, 2).permute(0, 1, 3, 2);
        INDArray joined = nd.concat(2, view, org.nd4j.linalg.factory.Nd4j.zeros(DataType.DOUBLE, 1, 1, 2, 2));
        assertArrayEquals(new long[] {1, 1, 8, 2}, joined.shape());
        assertEquals(x, joined.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
            org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 6), org.nd4j.linalg.indexing.NDArrayIndex.all()));
    }

    @Test
    void stopGradientBlocksTheGradient() {
        ParamStore p = new ParamStore(DataType.DOUBLE, 1);
        p.declare("w", (s, t, r) -> TestData.normal(5, DataType.DOUBLE, s), 3);
        SameDiff sd = SameDiff.create();
        SdOps g = new SdOps(sd, p, DataType.DOUBLE, false);
        SDVariable w = g.param("w");
        SDVariable loss = sd.sum(g.add(g.mul(g.stopGradient(w), 5.0), w));
        loss.markAsLoss();
        INDArray grad = Lab.withoutGraphChatter(() -> sd.calculateGradients(Map.of(), "w")).get("w");
        assertArrayEquals(new double[] {1, 1, 1}, grad.toDoubleVector(), 1e-12, "d/dw of 5·stop(w) + w is 1");
    }

    @Test
    void gaussianErrorLinearUnitIsTheTanhApproximation() {
        INDArray x = TestData.normal(4, DataType.DOUBLE, 50).mul(3);
        INDArray y = NdOps.of(n -> null, DataType.DOUBLE).gelu(x);
        for (int i = 0; i < 50; i++) {
            double v = x.getDouble(i);
            double expected = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            assertEquals(expected, y.getDouble(i), 1e-12);
        }
    }

    @Test
    void shapeErrorsAreCaughtWhenTheGraphIsBuilt() {
        SdOps g = new SdOps(SameDiff.create(), n -> null, DataType.FLOAT, false);
        SDVariable a = g.placeholder("a", DataType.FLOAT, 2, 3), b = g.placeholder("b", DataType.FLOAT, 4, 5);
        var e = assertThrows(IllegalArgumentException.class, () -> g.matmul(a, b, false, false));
        assertEquals("matmul shapes [2, 3] x [4, 5]: expected matching inner sizes, got 3 and 4", e.getMessage());
        var r = assertThrows(IllegalArgumentException.class, () -> g.reshape(a, 5, -1));
        assertEquals("reshape [2, 3] -> [5, -1]: expected the same number of elements (6)", r.getMessage());
        var br = assertThrows(IllegalArgumentException.class, () -> g.add(a, b));
        assertTrue(br.getMessage().startsWith("shapes [2, 3] and [4, 5]: expected shapes that broadcast"), br.getMessage());
    }
}
