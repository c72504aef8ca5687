package dev.etlab.tensor;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Float32 arrays to and from Java, by bulk copies. */
public final class FloatArrays {
    private FloatArrays() {}

    /**
     * A new float32 array in C order holding {@code data}, by one bulk copy: {@code Nd4j.create(float[], ...)} copies
     * element by element ({@code BaseDataBuffer.put}), a measurable share of a training step.
     */
    public static INDArray of(float[] data, long... shape) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, shape.clone(), 'c');
        out.data().asNioFloat().put(0, data, 0, data.length);
        return out;
    }
}
