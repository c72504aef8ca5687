package dev.etlab.nn;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** How a parameter is initialised. Draws come from the store's seeded {@link Random}, so a seed fixes every weight. */
@FunctionalInterface
public interface Init {
    INDArray create(long[] shape, DataType type, Random rng);

    static Init zeros() {
        return (shape, type, rng) -> Nd4j.zeros(type, shape);
    }

    static Init ones() {
        return (shape, type, rng) -> Nd4j.ones(type, shape);
    }

    /** N(0, std²), e.g. std = 0.02 for embeddings (GPT-2). */
    static Init normal(double std) {
        return (shape, type, rng) -> fill(shape, type, () -> rng.nextGaussian() * std);
    }

    /** U(-a, a). */
    static Init uniform(double a) {
        return (shape, type, rng) -> fill(shape, type, () -> (2 * rng.nextDouble() - 1) * a);
    }

    /** Glorot/Xavier uniform for a (fanIn, fanOut) matrix: U(±√(6 / (fanIn + fanOut))). */
    static Init xavier() {
        return (shape, type, rng) -> {
            long fanIn = shape[shape.length - 2];
            long fanOut = shape[shape.length - 1];
            return uniform(Math.sqrt(6.0 / (fanIn + fanOut))).create(shape, type, rng);
        };
    }

    /** A fixed value, copied (for buffers computed elsewhere, such as random features). */
    static Init of(INDArray value) {
        return (shape, type, rng) -> value.castTo(type).dup();
    }

    private static INDArray fill(long[] shape, DataType type, java.util.function.DoubleSupplier draw) {
        long n = 1;
        for (long d : shape) n *= d;
        double[] data = new double[Math.toIntExact(n)];
        for (int i = 0; i < data.length; i++) data[i] = draw.getAsDouble();
        return Nd4j.create(data, shape, DataType.DOUBLE).castTo(type);
    }
}
