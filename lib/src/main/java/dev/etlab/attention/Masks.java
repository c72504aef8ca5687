package dev.etlab.attention;

import dev.etlab.tensor.Ops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Additive score masks shared by the mechanisms. A masked score gets {@link #NEG}, a large
 * finite negative number (not −∞, so a fully masked row gives a uniform row instead of NaN).
 */
public final class Masks {
    private Masks() {}

    /** Added to scores that must not be attended. exp(NEG − max) underflows to exactly 0 in float32. */
    public static final double NEG = -1e9;

    /** (1, 1, T, S) bias: 0 where key j ≤ query i + offset, NEG elsewhere. offset = S − T aligns the last query with the last key. */
    public static INDArray causalBias(long queries, long keys, DataType type) {
        long offset = keys - queries;
        double[] data = new double[Math.toIntExact(queries * keys)];
        for (int i = 0; i < queries; i++) {
            for (int j = 0; j < keys; j++) {
                data[(int) (i * keys + j)] = j <= i + offset ? 0 : NEG;
            }
        }
        return Nd4j.create(data, new long[] {1, 1, queries, keys}, DataType.DOUBLE).castTo(type);
    }

    /** keyPadding (B, S) of 1/0 → additive bias (B, 1, 1, S): 0 for tokens, NEG for padding. */
    public static <T> T paddingBias(Ops<T> ops, T keyPadding) {
        long[] s = ops.shape(keyPadding);
        T bias = ops.mul(ops.add(keyPadding, -1.0), -NEG);
        return ops.reshape(bias, s[0], 1, 1, s[1]);
    }
}
