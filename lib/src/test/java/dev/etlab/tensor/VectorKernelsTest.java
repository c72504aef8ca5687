package dev.etlab.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.Simd;
import dev.etlab.TestData;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fused float32 kernels ({@link VectorKernels}, through {@link Fused}) against their plain twins (the ND4J
 * composites, chosen with {@code -Detlab.simd=false}): forward values and every gradient, on the tape and eagerly.
 * Widths 64 (the notebooks' d_model: whole vectors) and 37 (a scalar tail); 21 rows, more than one block of dγ sums;
 * vocabularies 85 (notebook 00's: rows padded to whole vectors), 16 (one vector) and 3.
 */
class VectorKernelsTest {
    /** float32, ~1e-6 relative in practice; the house bound for float32. */
    static final double TOL = 1e-5;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    @Test
    void theFusedKernelsApplyToFloat32WhenTheModuleIsLoaded() {
        assertTrue(Simd.moduleLoaded(), "surefire starts the JVM with --add-modules jdk.incubator.vector");
        INDArray f = TestData.normal(1, DataType.FLOAT, 2, 3);
        assertTrue(Fused.applies(f));
        assertFalse(Fused.applies(f, f.castTo(DataType.DOUBLE)), "float64 keeps the ND4J path");
        assertFalse(withVector(false, () -> Fused.applies(f)), "-Detlab.simd=false keeps the ND4J path");
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 37})
    void layerNormVectorKernelEqualsTheTwinForwardAndBackward(int d) {
        INDArray x = TestData.normal(1, DataType.FLOAT, 3, 7, d).muli(3).addi(1.5), r = TestData.normal(2, DataType.FLOAT, 3, 7, d);
        Map<String, INDArray> params = Map.of("gain", TestData.normal(3, DataType.FLOAT, d).addi(1), "bias", TestData.normal(4, DataType.FLOAT, d));
        Map<String, INDArray> vector = withVector(true, () -> layerNormOnTape(params, x, r));
        Map<String, INDArray> plain = withVector(false, () -> layerNormOnTape(params, x, r));
        for (String name : plain.keySet()) assertClose(plain.get(name), vector.get(name), "layerNorm " + name + ", d = " + d);
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 37})
    void geluVectorKernelEqualsTheTwinForwardAndBackward(int d) {
        INDArray x = TestData.normal(5, DataType.FLOAT, 3, 7, d).muli(3), r = TestData.normal(6, DataType.FLOAT, 3, 7, d);
        x.putScalar(0, 12f);                                                   // far tails: tanh saturates
        x.putScalar(1, -12f);
        Map<String, INDArray> vector = withVector(true, () -> geluOnTape(x, r));
        Map<String, INDArray> plain = withVector(false, () -> geluOnTape(x, r));
        for (String name : plain.keySet()) assertClose(plain.get(name), vector.get(name), "gelu " + name + ", d = " + d);
    }

    @ParameterizedTest
    @ValueSource(ints = {85, 16, 3})
    void crossEntropyVectorKernelEqualsTheTwinForwardAndBackward(int v) {
        INDArray logits = TestData.normal(18, DataType.FLOAT, 3, 7, v).muli(4), r = TestData.normal(19, DataType.FLOAT, 3, 7);
        INDArray targets = TestData.tokens(20, v, 3, 7).castTo(DataType.INT);
        targets.putScalar(0, v - 1);
        targets.putScalar(1, -1);                                              // outside the vocabulary: a zero one-hot, nll 0
        Map<String, INDArray> vector = withVector(true, () -> crossEntropyOnTape(logits, targets, r));
        Map<String, INDArray> plain = withVector(false, () -> crossEntropyOnTape(logits, targets, r));
        for (String name : plain.keySet()) assertClose(plain.get(name), vector.get(name), "cross-entropy " + name + ", V = " + v);
        assertTrue(vector.get("nll").getDouble(1) == 0, "a target outside the vocabulary costs nothing");
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 37})
    void linearBiasGradientByColumnSumsEqualsTheTwin(int out) {
        INDArray x = TestData.normal(23, DataType.FLOAT, 3, 7, 16), r = TestData.normal(24, DataType.FLOAT, 3, 7, out);
        Map<String, INDArray> params = Map.of("w", TestData.normal(25, DataType.FLOAT, 16, out), "b", TestData.normal(26, DataType.FLOAT, out));
        Map<String, INDArray> vector = withVector(true, () -> linearOnTape(params, x, r));
        Map<String, INDArray> plain = withVector(false, () -> linearOnTape(params, x, r));
        for (String name : plain.keySet()) assertClose(plain.get(name), vector.get(name), "linear " + name + ", Dout = " + out);
    }

    /** Against float64 (the truth here), the kernels' round-off is no worse than the twins'. */
    @Test
    void theVectorKernelsAreAsAccurateAsTheirTwins() {
        int d = 64;
        INDArray x = TestData.normal(14, DataType.FLOAT, 3, 7, d).muli(3).addi(1.5), r = TestData.normal(15, DataType.FLOAT, 3, 7, d);
        Map<String, INDArray> params = Map.of("gain", TestData.normal(16, DataType.FLOAT, d).addi(1), "bias", TestData.normal(17, DataType.FLOAT, d));
        Map<String, INDArray> params64 = Map.of("gain", params.get("gain").castTo(DataType.DOUBLE), "bias", params.get("bias").castTo(DataType.DOUBLE));
        INDArray x64 = x.castTo(DataType.DOUBLE), r64 = r.castTo(DataType.DOUBLE);
        compareErrors("layerNorm", layerNormOnTape(params64, x64, r64), withVector(true, () -> layerNormOnTape(params, x, r)),
            withVector(false, () -> layerNormOnTape(params, x, r)));
        Map<String, INDArray> linear = Map.of("w", TestData.normal(27, DataType.FLOAT, d, 48), "b", TestData.normal(28, DataType.FLOAT, 48));
        Map<String, INDArray> linear64 = Map.of("w", linear.get("w").castTo(DataType.DOUBLE), "b", linear.get("b").castTo(DataType.DOUBLE));
        INDArray rl = TestData.normal(29, DataType.FLOAT, 3, 7, 48);
        compareErrors("linear", linearOnTape(linear64, x64, rl.castTo(DataType.DOUBLE)), withVector(true, () -> linearOnTape(linear, x, rl)),
            withVector(false, () -> linearOnTape(linear, x, rl)));
        compareErrors("gelu", geluOnTape(x64, r64), withVector(true, () -> geluOnTape(x, r)), withVector(false, () -> geluOnTape(x, r)));
        INDArray logits = x.reshape(21, 64), targets = TestData.tokens(21, 64, 3, 7).castTo(DataType.INT).reshape(21), w = r.reshape(21, 64).getColumn(0).dup();
        compareErrors("cross-entropy", crossEntropyOnTape(logits.castTo(DataType.DOUBLE), targets, w.castTo(DataType.DOUBLE)),
            withVector(true, () -> crossEntropyOnTape(logits, targets, w)), withVector(false, () -> crossEntropyOnTape(logits, targets, w)));
    }

    private static void compareErrors(String op, Map<String, INDArray> truth, Map<String, INDArray> vector, Map<String, INDArray> plain) {
        for (String name : truth.keySet()) {
            INDArray t = truth.get(name).castTo(DataType.FLOAT);
            double vectorError = TestData.maxAbsDiff(t, vector.get(name)), plainError = TestData.maxAbsDiff(t, plain.get(name));
            double ulp = Math.ulp((float) Math.max(1, t.amaxNumber().doubleValue()));
            System.out.printf("%s %s: error vector %.3g, plain %.3g (ulp %.3g)%n", op, name, vectorError, plainError, ulp);
            assertTrue(vectorError <= 2 * plainError + 4 * ulp, op + " " + name + ": vector kernel's error " + vectorError
                + " against float64, the twin's " + plainError);
        }
    }

    /** The kernels' tanh (a rational function) against float64 tanh over [−10, 10]: a few ulp of 1. */
    @Test
    void tanhIsAccurateToAFewUlp() {
        double worst = 0;
        for (int i = -200_000; i <= 200_000; i++) {
            float x = i * 5e-5f;
            worst = Math.max(worst, Math.abs(VectorKernels.tanh(x) - Math.tanh(x)));
        }
        assertTrue(worst <= 4 * Math.ulp(1f), "tanh off by " + worst);
    }

    /**
     * Same inputs, same bits, from the first (interpreted) call to the thousandth (compiled): the Vector API's own
     * TANH failed this (its interpreter fallback and its C2 stub round differently), which made a model's output
     * drift as the JIT warmed up.
     */
    @Test
    void theKernelsGiveTheSameBitsInEveryJitTier() {
        int rows = 32, d = 64, n = rows * d, v = 85, w = 96;
        float[] x = TestData.normal(30, DataType.FLOAT, n).muli(4).data().asFloat(), g = TestData.normal(31, DataType.FLOAT, n).data().asFloat();
        float[] gain = TestData.normal(32, DataType.FLOAT, d).data().asFloat(), logits = new float[rows * w];
        int[] targets = TestData.tokens(33, v, 1, rows).data().asInt();
        for (int row = 0; row < rows; row++) {
            for (int c = 0; c < w; c++) logits[row * w + c] = c < v ? 8 * x[row * d + c % d] : Float.NEGATIVE_INFINITY;
        }
        float[][] first = null;
        for (int call = 0; call < 3000; call++) {
            float[][] out = {new float[n], new float[n], new float[n], new float[rows], new float[rows], new float[n], new float[d], new float[d],
                new float[rows], new float[rows], new float[rows * w], new float[d]};
            VectorKernels.geluForward(x, n, out[0]);
            VectorKernels.geluBackward(g, x, n, out[1]);
            VectorKernels.layerNormForward(x, gain, gain, 1e-5f, rows, d, out[2], out[3], out[4]);
            VectorKernels.layerNormBackward(g, x, out[3], out[4], gain, rows, d, out[5], out[6], out[7]);
            VectorKernels.crossEntropyForward(logits, targets, rows, v, w, out[8], out[9]);
            VectorKernels.crossEntropyBackward(logits, targets, out[9], out[8], rows, v, w, out[10]);
            VectorKernels.columnSums(g, rows, d, out[11]);
            if (first == null) first = out;
            for (int k = 0; k < out.length; k++) assertArrayEquals(first[k], out[k], "output " + k + " at call " + call);
        }
    }

    @Test
    void theEagerPathGivesTheTapesValuesToTheBit() {
        INDArray x = TestData.normal(7, DataType.FLOAT, 4, 5, 64);
        Map<String, INDArray> params = Map.of("gain", TestData.normal(8, DataType.FLOAT, 64), "bias", TestData.normal(9, DataType.FLOAT, 64));
        NdOps nd = NdOps.of(params::get, DataType.FLOAT);
        TapeOps tape = TapeOps.of(params::get, DataType.FLOAT);
        Var xv = tape.leaf(x);
        assertArrayEquals(tape.layerNorm(xv, tape.param("gain"), tape.param("bias"), 1e-5).value().data().asFloat(),
            nd.layerNorm(x, params.get("gain"), params.get("bias"), 1e-5).data().asFloat());
        assertArrayEquals(tape.gelu(xv).value().data().asFloat(), nd.gelu(x).data().asFloat());
        INDArray targets = TestData.tokens(22, 64, 4, 5).castTo(DataType.INT);
        assertArrayEquals(tape.softmaxCrossEntropy(xv, tape.constant(targets)).value().data().asFloat(), nd.softmaxCrossEntropy(x, targets).data().asFloat());
    }

    @Test
    void viewsAndOtherOrdersGiveTheValuesOfTheirCopies() {
        INDArray x = TestData.normal(10, DataType.FLOAT, 64, 6, 5).permute(2, 1, 0);     // (5, 6, 64), not C order
        INDArray slice = TestData.normal(11, DataType.FLOAT, 5, 6, 80).get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
            org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(8, 72)); // offset view
        INDArray gain = TestData.normal(12, DataType.FLOAT, 64), bias = TestData.normal(13, DataType.FLOAT, 64);
        for (INDArray view : new INDArray[] {x, slice}) {
            INDArray copy = view.dup('c');
            assertArrayEquals(Fused.gelu(copy).data().asFloat(), Fused.gelu(view).data().asFloat());
            assertArrayEquals(Fused.layerNorm(copy, gain, bias, 1e-5, null).data().asFloat(),
                Fused.layerNorm(view, gain, bias, 1e-5, null).data().asFloat());
        }
    }

    /** y = LayerNorm(x), then the gradients of Σ y ⊙ r. */
    private static Map<String, INDArray> layerNormOnTape(Map<String, INDArray> params, INDArray x, INDArray r) {
        TapeOps tape = TapeOps.of(params::get, x.dataType());
        Var xv = tape.leaf(x);
        Var y = tape.layerNorm(xv, tape.param("gain"), tape.param("bias"), 1e-5);
        tape.backward(tape.sum(tape.mul(y, tape.constant(r)), false));
        Map<String, INDArray> g = tape.paramGradients();
        return Map.of("y", y.value(), "dx", xv.grad(), "dgain", g.get("gain"), "dbias", g.get("bias"));
    }

    /** nll = −log softmax(logits)[targets], then the gradient of Σ nll ⊙ r. */
    private static Map<String, INDArray> crossEntropyOnTape(INDArray logits, INDArray targets, INDArray r) {
        TapeOps tape = TapeOps.of(name -> null, logits.dataType());
        Var lv = tape.leaf(logits);
        Var nll = tape.softmaxCrossEntropy(lv, tape.constant(targets));
        tape.backward(tape.sum(tape.mul(nll, tape.constant(r)), false));
        return Map.of("nll", nll.value(), "dlogits", lv.grad());
    }

    /** y = x·w + b, then the gradients of Σ y ⊙ r. */
    private static Map<String, INDArray> linearOnTape(Map<String, INDArray> params, INDArray x, INDArray r) {
        TapeOps tape = TapeOps.of(params::get, x.dataType());
        Var xv = tape.leaf(x);
        tape.backward(tape.sum(tape.mul(tape.linear(xv, tape.param("w"), tape.param("b")), tape.constant(r)), false));
        Map<String, INDArray> g = tape.paramGradients();
        return Map.of("dx", xv.grad(), "dw", g.get("w"), "db", g.get("b"));
    }

    /** y = GELU(x), then the gradient of Σ y ⊙ r. */
    private static Map<String, INDArray> geluOnTape(INDArray x, INDArray r) {
        TapeOps tape = TapeOps.of(name -> null, x.dataType());
        Var xv = tape.leaf(x);
        Var y = tape.gelu(xv);
        tape.backward(tape.sum(tape.mul(y, tape.constant(r)), false));
        return Map.of("y", y.value(), "dx", xv.grad());
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        double diff = TestData.maxAbsDiff(expected, actual), scale = Math.max(1, expected.amaxNumber().doubleValue());
        assertTrue(diff <= TOL * scale, what + ": vector kernel differs from the twin by " + diff + " (max |value| " + scale + ")");
    }

    /** Runs body with the vector kernels on or off ({@link Simd#PROPERTY}), restoring the property after. */
    private static <R> R withVector(boolean on, Supplier<R> body) {
        String saved = System.getProperty(Simd.PROPERTY);
        System.setProperty(Simd.PROPERTY, String.valueOf(on));
        try {
            return body.get();
        } finally {
            if (saved == null) System.clearProperty(Simd.PROPERTY);
            else System.setProperty(Simd.PROPERTY, saved);
        }
    }
}
