package dev.etlab;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Seeded random arrays for tests. */
public final class TestData {
    private TestData() {}

    public static INDArray normal(long seed, DataType type, long... shape) {
        Random r = new Random(seed);
        long n = 1;
        for (long d : shape) n *= d;
        double[] v = new double[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return Nd4j.create(v, shape, DataType.DOUBLE).castTo(type);
    }

    public static INDArray tokens(long seed, int vocab, int batch, int length) {
        Random r = new Random(seed);
        int[] v = new int[batch * length];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(vocab);
        return Nd4j.createFromArray(v).reshape(batch, length);
    }

    public static double maxAbsDiff(INDArray a, INDArray b) {
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }
}
