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
        double[] pe = new double[Math.toIntExact(length * dModel)];
        for (int pos = 0; pos < length; pos++) {
            for (int i = 0; i < dModel; i++) {
                double angle = pos / Math.pow(10000, (2 * (i / 2)) / (double) dModel);
                pe[(int) (pos * dModel + i)] = i % 2 == 0 ? Math.sin(angle) : Math.cos(angle);
            }
        }
        return Nd4j.create(pe, new long[] {length, dModel}, DataType.DOUBLE).castTo(type);
    }
}
