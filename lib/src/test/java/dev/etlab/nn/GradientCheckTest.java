package dev.etlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.tensor.Ops;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The checker itself: a pass must mean the gradients agree, never that they could not be compared. */
class GradientCheckTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static ParamStore noParams() {
        return new ParamStore(DataType.DOUBLE, 1);
    }

    @Test
    void aSmoothFunctionPasses() {
        var r = new GradientCheck().check(noParams(), TestData.normal(1, DataType.DOUBLE, 2, 3), new GradientCheck.Fn() {
            @Override
            public <T> T apply(Ops<T> ops, T x) {
                return ops.tanh(ops.square(x));
            }
        }, 2);
        assertTrue(r.passed(), r.toString());
        assertEquals(12, r.checked(), "6 elements, each against both engines (tape and SameDiff)");
        assertTrue(Double.isFinite(r.maxRelativeError()), r.toString());
    }

    @Test
    void anAllNaNFunctionFails() {
        var r = new GradientCheck().check(noParams(), TestData.normal(3, DataType.DOUBLE, 2, 3), new GradientCheck.Fn() {
            @Override
            public <T> T apply(Ops<T> ops, T x) {
                // a NaN array, not ops.mul(x, Double.NaN): ND4J's eager INDArray.mul(Number) quietly replaces a NaN
                // scalar by 1e-5 (and add(NaN) by 0), so that eager path would not produce NaN at all
                return ops.mul(x, ops.constantScalar(Double.NaN));
            }
        }, 4);
        assertFalse(r.passed(), "NaN loss and NaN gradients must not pass: " + r);
        assertTrue(r.failures().get(0).startsWith("loss = NaN at the unperturbed point"), r.failures().get(0));
        assertTrue(r.failures().get(1).contains("expected finite gradients"), r.failures().get(1));
        assertTrue(Double.isNaN(r.maxRelativeError()), r.toString());
    }

    @Test
    void aNaNAnalyticGradientWithAFiniteLossFails() {
        // |x| written as sqrt(x²), at x = 0: the loss is finite and the numeric slope is 0, but the chain rule gives
        // (1 / (2·sqrt(0))) · 2·0 = Inf · 0 = NaN: only the analytic side is broken
        INDArray x = Nd4j.zeros(DataType.DOUBLE, 1, 4);
        var r = new GradientCheck().check(noParams(), x, new GradientCheck.Fn() {
            @Override
            public <T> T apply(Ops<T> ops, T in) {
                return ops.sqrt(ops.square(in));
            }
        }, 5);
        assertFalse(r.passed(), "a NaN analytic gradient must not pass: " + r);
        assertEquals(8, r.failures().size(), "4 elements, both engines: " + r);
        assertTrue(r.failures().get(0).startsWith("x[0] (SameDiff): analytic NaN") && r.failures().get(0).contains("numeric 0.0000"),
            r.failures().get(0));
        assertTrue(r.failures().get(1).startsWith("x[0] (tape): analytic NaN"), r.failures().get(1));
    }
}
