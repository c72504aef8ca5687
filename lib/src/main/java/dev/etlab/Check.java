package dev.etlab;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * Argument checks whose messages name the parameter, the value given and what was expected.
 * Every public entry point of the library validates through here, so bad input fails early and
 * says how to fix it instead of surfacing as a native error deep inside ND4J.
 */
public final class Check {
    private Check() {}

    /** Throws {@link IllegalArgumentException} "{@code param} = value: expected ..." unless {@code ok}. */
    public static void arg(boolean ok, String param, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(param + " = " + show(value) + ": expected " + expected);
        }
    }

    public static int positive(String param, int value) {
        arg(value > 0, param, value, "a positive integer");
        return value;
    }

    public static double probability(String param, double value) {
        arg(value >= 0 && value < 1, param, value, "a value in [0, 1)");
        return value;
    }

    /** Checks the rank of an array and returns it. */
    public static INDArray rank(String param, INDArray x, int rank, String layout) {
        arg(x != null, param, null, "an array of rank " + rank + " " + layout);
        arg(x.rank() == rank, param, "array of shape " + Arrays.toString(x.shape()), "rank " + rank + " " + layout);
        return x;
    }

    /** Checks that a dimension of an array has the expected size. */
    public static void dim(String param, INDArray x, int axis, long expected, String meaning) {
        long got = x.size(axis);
        arg(got == expected, param, "array of shape " + Arrays.toString(x.shape()),
            "size " + expected + " on axis " + axis + " (" + meaning + ")");
    }

    /** Rejects arrays containing NaN or infinite values. */
    public static INDArray finite(String param, INDArray x) {
        arg(allFinite(x), param, "array of shape " + Arrays.toString(x.shape()) + " containing NaN or Inf", "finite values only");
        return x;
    }

    /** Whether an array holds no NaN and no infinity (always true for integer arrays). */
    public static boolean allFinite(INDArray x) {
        return !x.dataType().isFPType() || !(BooleanIndexing.or(x, Conditions.isNan()) || BooleanIndexing.or(x, Conditions.isInfinite()));
    }

    /**
     * Checks a (batch, length) mask of 1 for tokens and 0 for padding: a numeric type, only 0 and 1
     * (no NaN, no fractions), and at least one token in every row — a fully padded item has nothing
     * to attend to or pool over, and would come out NaN or meaningless.
     */
    public static INDArray mask(String param, INDArray mask) {
        arg(mask.dataType().isNumerical(), param, "array of type " + mask.dataType(), "a numeric array of 0 (padding) and 1 (token)");
        double[][] rows = mask.castTo(DataType.DOUBLE).toDoubleMatrix();
        for (int i = 0; i < rows.length; i++) {
            boolean anyToken = false;
            for (double v : rows[i]) {
                if (v != 0 && v != 1) {
                    arg(false, param, "array of shape " + Arrays.toString(mask.shape()) + " containing " + v, "only 0 (padding) and 1 (token)");
                }
                anyToken |= v == 1;
            }
            arg(anyToken, param, "row " + i + " all zero", "at least one token per batch item");
        }
        return mask;
    }

    private static String show(Object v) {
        if (v instanceof int[] a) return Arrays.toString(a);
        if (v instanceof long[] a) return Arrays.toString(a);
        if (v instanceof String s && s.isBlank()) return "\"" + s + "\""; // visible even when empty
        return String.valueOf(v);
    }
}
