package dev.etlab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Simd;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** VectorMath.exp and exp2: accurate, exact at the edges, and the same bits before and after the JIT compiles them. */
class VectorMathTest {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    static float[] exp(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += F.length()) VectorMath.exp(FloatVector.fromArray(F, x, i)).intoArray(y, i);
        return y;
    }

    static float[] inputs() {
        Random random = new Random(3);
        float[] x = new float[F.length() * 4096];
        for (int i = 0; i < x.length; i++) x[i] = (float) (random.nextDouble() * 176 - 88);
        x[0] = 0f;
        x[1] = -0f;
        x[2] = Float.NEGATIVE_INFINITY;
        x[3] = -1e9f;
        x[4] = -87.29f;
        x[5] = -87.31f;
        x[6] = 88f;
        x[7] = -1e-7f;
        return x;
    }

    @Test
    void withinOneAndAHalfTenMillionthsOfMathExpAndExactAtTheEdges() {
        assertTrue(Simd.enabled(), "the test JVM must load jdk.incubator.vector");
        float[] x = inputs(), y = exp(x);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double e = Math.exp(x[i]);
            if (x[i] > VectorMath.EXP_CLAMP) {
                assertEquals((float) Math.exp(VectorMath.EXP_CLAMP), y[i], Math.exp(VectorMath.EXP_CLAMP) * 2e-7, "clamped above 88");
            } else if (x[i] < VectorMath.EXP_UNDERFLOW) {
                assertEquals(0f, y[i], "e^" + x[i] + " is 0 (no normal float)");
            } else {
                worst = Math.max(worst, Math.abs(y[i] - e) / e);
            }
        }
        assertTrue(worst < 1.5e-7, "worst relative error " + worst);
        assertEquals(1f, y[0]);
        assertEquals(1f, y[1]);
        assertEquals(0f, y[2], "e^-inf");
        assertEquals(0f, y[3], "e^-1e9: a masked score weighs exactly 0");
    }

    @Test
    void theSameBitsInEveryJitTier() {
        float[] x = inputs(), first = exp(x);
        for (int call = 0; call < 3000; call++) {
            float[] again = exp(x);
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToRawIntBits(again[i]) != Float.floatToRawIntBits(first[i])) {
                    throw new AssertionError("call " + call + ": e^" + x[i] + " = " + again[i] + ", first call gave " + first[i]);
                }
            }
        }
    }

    static float[] exp2(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += F.length()) VectorMath.exp2(FloatVector.fromArray(F, x, i)).intoArray(y, i);
        return y;
    }

    static float[] exp2Inputs() {
        Random random = new Random(5);
        float[] x = new float[F.length() * 4096];
        for (int i = 0; i < x.length; i++) x[i] = (float) (random.nextDouble() * 254 - 127);
        float[] edges = {0f, -0f, Float.NEGATIVE_INFINITY, -1e9f, -126.4f, -127f, 127f, 200f, -1e-7f, 0.5f, -0.5f, 1f, -126f};
        System.arraycopy(edges, 0, x, 0, edges.length);
        return x;
    }

    @Test
    void exp2IsWithinTwoTenMillionthsOfMathPowAndExactAtTheEdges() {
        assertTrue(Simd.enabled(), "the test JVM must load jdk.incubator.vector");
        float[] x = exp2Inputs(), y = exp2(x);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] <= VectorMath.EXP2_FLUSH) {
                assertEquals(0f, y[i], "2^" + x[i] + " is flushed to 0");
            } else if (x[i] >= VectorMath.EXP2_CLAMP) {
                assertEquals((float) Math.pow(2, VectorMath.EXP2_CLAMP), y[i], "clamped at 2^127");
            } else if (x[i] > -126f) {                              // normal results
                double e = Math.pow(2, x[i]);
                worst = Math.max(worst, Math.abs(y[i] - e) / e);
            }
        }
        assertTrue(worst < 2e-7, "worst relative error " + worst);
        assertEquals(1f, y[0]);
        assertEquals(1f, y[1]);
        assertEquals(0f, y[2], "2^-inf");
        assertEquals(0f, y[3], "2^-1e9: a masked score weighs exactly 0");
        assertEquals(2f, y[11]);
        assertEquals((float) Math.pow(2, -126), y[12]);
    }

    @Test
    void exp2GivesTheSameBitsInEveryJitTier() {
        float[] x = exp2Inputs(), first = exp2(x);
        for (int call = 0; call < 3000; call++) {
            float[] again = exp2(x);
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToRawIntBits(again[i]) != Float.floatToRawIntBits(first[i])) {
                    throw new AssertionError("call " + call + ": 2^" + x[i] + " = " + again[i] + ", first call gave " + first[i]);
                }
            }
        }
    }
}
