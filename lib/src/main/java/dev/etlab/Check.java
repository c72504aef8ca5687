package dev.etlab;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

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

    /**
     * Whether an array holds no NaN and no infinity (always true for integer arrays). Float32 and float64 are read in
     * one Java pass (v·0 is ±0 for a finite v and NaN otherwise); the two ND4J searches this replaced made a boolean
     * array each and were a quarter of a small attention layer's forward time.
     */
    public static boolean allFinite(INDArray x) {
        DataType type = x.dataType();
        if (!type.isFPType()) return true;
        if (type != DataType.FLOAT && type != DataType.DOUBLE) return allFinite(x.castTo(DataType.FLOAT));   // half, bfloat16

        INDArray c = !x.isView() && x.ordering() == 'c' && x.offset() == 0 && x.data().length() == x.length() ? x : x.dup('c');
        long n = c.length();
        if (type == DataType.FLOAT) {
            java.nio.FloatBuffer data = c.data().asNioFloat();
            float[] chunk = new float[(int) Math.min(n, 4096)];
            for (long from = 0; from < n; from += chunk.length) {
                int len = (int) Math.min(chunk.length, n - from);
                data.get((int) from, chunk, 0, len);
                float a = 0, b = 0;
                for (int i = 0; i + 1 < len; i += 2) {
                    a += chunk[i] * 0f;
                    b += chunk[i + 1] * 0f;
                }
                if (len % 2 == 1) a += chunk[len - 1] * 0f;
                if (Float.isNaN(a + b)) return false;
            }
            return true;
        }
        java.nio.DoubleBuffer data = c.data().asNioDouble();
        double[] chunk = new double[(int) Math.min(n, 4096)];
        for (long from = 0; from < n; from += chunk.length) {
            int len = (int) Math.min(chunk.length, n - from);
            data.get((int) from, chunk, 0, len);
            double a = 0;
            for (int i = 0; i < len; i++) a += chunk[i] * 0.0;
            if (Double.isNaN(a)) return false;
        }
        return true;
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
