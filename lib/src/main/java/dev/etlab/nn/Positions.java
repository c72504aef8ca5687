package dev.etlab.nn;

import dev.etlab.tensor.Ops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** How position enters the model: added to the token embeddings. */
public enum Positions {
    /** PE(pos, 2i) = sin(pos / 10000^(2i/D)), PE(pos, 2i+1) = cos(...) (Vaswani et al. 2017, Section 3.5). */
    SINUSOIDAL,
    /** A trained (maxLen, D) table, as in BERT and GPT-2. */
    LEARNED,
    /** No absolute positions (for mechanisms that carry position otherwise). */
    NONE;

    public void declare(ParamStore store, String prefix, int maxLen, int dModel) {
        if (this == LEARNED) store.declare(prefix + "weight", Init.normal(0.02), maxLen, dModel);
    }

    /** x (B, T, D) → x + PE[:T]. */
    public <T> T apply(Ops<T> ops, String prefix, T x) {
        long t = ops.size(x, 1);
        return switch (this) {
            case SINUSOIDAL -> ops.add(x, ops.constant(sinusoid(t, ops.size(x, 2), ops.dataType())));
            case LEARNED -> ops.add(x, ops.slice(ops.param(prefix + "weight"), 0, 0, t));
            case NONE -> x;
        };
    }

    /** The (T, D) sinusoidal table. */
    public static INDArray sinusoid(long length, long dModel, DataType type) {
        return sinusoidRows(0, 1, length, dModel, type);
    }

    /**
     * A (rows, D) table whose row r holds PE(first + r · step): the absolute table ({@link #sinusoid}) and the
     * relative-distance tables of Transformer-XL and the Conformer (distances counting down, step −1) alike.
     */
    public static INDArray sinusoidRows(long first, long step, long rows, long dModel, DataType type) {
        double[] pe = new double[Math.toIntExact(rows * dModel)];
        for (int r = 0; r < rows; r++) {
            long pos = first + r * step;
            for (int i = 0; i < dModel; i++) {
                double angle = pos / Math.pow(10000, (2 * (i / 2)) / (double) dModel);
                pe[(int) (r * dModel + i)] = i % 2 == 0 ? Math.sin(angle) : Math.cos(angle);
            }
        }
        return Nd4j.create(pe, new long[] {rows, dModel}, DataType.DOUBLE).castTo(type);
    }
}
