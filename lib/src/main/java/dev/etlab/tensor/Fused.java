package dev.etlab.tensor;

import dev.etlab.Simd;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * The fused float32 kernels of {@link VectorKernels} on {@link INDArray}s, and the decision to use them. This class
 * names no {@code jdk.incubator.vector} type: {@link VectorKernels} is loaded only when {@link #applies} was true.
 * Arrays are copied to Java on the calling thread and results created there through ND4J (inside the step's
 * workspace when one is active); nothing is kept past the step but Java arrays held by the tape's closures.
 * The plain twins are the ND4J composites in {@link Ops#layerNorm}, {@link Ops#gelu} and {@link TapeOps}.
 */
public final class Fused {
    /**
     * System property that, set to {@code false}, keeps these operations on their ND4J twins while the Vector API stays
     * on elsewhere (attention): to compare the two in one process ({@code TrainBenchmark --engines tape,tape-unfused}).
     * Read on every call.
     */
    public static final String PROPERTY = "etlab.fused";

    private Fused() {}

    /** Whether the vector kernels apply: the Vector API is on, {@link #PROPERTY} is not false, every array is float32. */
    static boolean applies(INDArray... arrays) {
        for (INDArray a : arrays) if (a.dataType() != DataType.FLOAT) return false;
        return Simd.enabled() && Boolean.parseBoolean(System.getProperty(PROPERTY, "true"));
    }

    /** What the LayerNorm forward keeps for its backward: x as a Java copy, each row's mean and 1/√(var + ε). */
    record LayerNormSaved(float[] x, float[] mean, float[] rstd, int rows, int d) {}

    /** LayerNorm over the last axis; {@code saved[0]} receives what the backward needs (may be null). */
    static INDArray layerNorm(INDArray x, INDArray gain, INDArray bias, double eps, LayerNormSaved[] saved) {
        int d = Math.toIntExact(x.size(-1)), rows = Math.toIntExact(x.length() / d);
        dev.etlab.Check.arg(gain.length() == d && bias.length() == d, "layerNorm gain, bias",
            gain.length() + ", " + bias.length() + " elements", d + " each (the last axis of x)");
        float[] xs = floats(x), y = new float[xs.length], mean = new float[rows], rstd = new float[rows];
        VectorKernels.layerNormForward(xs, floats(gain), floats(bias), (float) eps, rows, d, y, mean, rstd);
        if (saved != null) saved[0] = new LayerNormSaved(xs, mean, rstd, rows, d);
        return array(y, x.shape());
    }

    /** {dx, dγ, dβ} of LayerNorm from dy and what the forward saved. */
    static INDArray[] layerNormBackward(LayerNormSaved s, INDArray dy, INDArray gain) {
        float[] dx = new float[s.x().length], dGain = new float[s.d()], dBias = new float[s.d()];
        VectorKernels.layerNormBackward(floats(dy), s.x(), s.mean(), s.rstd(), floats(gain), s.rows(), s.d(), dx, dGain, dBias);
        return new INDArray[] {array(dx, dy.shape()), array(dGain, gain.shape()), array(dBias, gain.shape())};
    }

    /** GELU, tanh form, of x. */
    static INDArray gelu(INDArray x) {
        float[] xs = floats(x), y = new float[xs.length];
        VectorKernels.geluForward(xs, xs.length, y);
        return array(y, x.shape());
    }

    /** dx of GELU from dy and x. */
    static INDArray geluBackward(INDArray x, INDArray dy) {
        float[] xs = floats(x), dx = new float[xs.length];
        VectorKernels.geluBackward(floats(dy), xs, xs.length, dx);
        return array(dx, x.shape());
    }

    /** Σ over the rows of a (rows, d) matrix → (d): a linear layer's bias gradient. */
    static INDArray columnSums(INDArray g) {
        int d = Math.toIntExact(g.size(-1)), rows = Math.toIntExact(g.length() / d);
        float[] out = new float[d];
        VectorKernels.columnSums(floats(g), rows, d, out);
        return array(out, new long[] {d});
    }

    /** What the cross-entropy forward keeps: the logits padded to rows of {@code width} (−∞ past v), targets, lse. */
    record CrossEntropySaved(float[] logits, int[] targets, float[] lse, int rows, int v, int width) {}

    /** −log softmax(logits)[target] along the last axis: logits (..., V), integer targets (...) → (...). */
    static INDArray softmaxCrossEntropy(INDArray logits, INDArray targets, CrossEntropySaved[] saved) {
        int v = Math.toIntExact(logits.size(-1)), rows = Math.toIntExact(logits.length() / v);
        dev.etlab.Check.arg(targets.length() == rows, "targets", "array of shape " + java.util.Arrays.toString(targets.shape()),
            rows + " elements, one per row of the logits " + java.util.Arrays.toString(logits.shape()));
        int lanes = VectorKernels.lanes(), width = (v + lanes - 1) / lanes * lanes;
        float[] compact = floats(logits), padded = new float[rows * width];
        java.util.Arrays.fill(padded, Float.NEGATIVE_INFINITY);
        for (int row = 0; row < rows; row++) System.arraycopy(compact, row * v, padded, row * width, v);
        int[] ids = targets.dataType() == DataType.INT ? targets.dup('c').data().asInt() : targets.castTo(DataType.INT).dup('c').data().asInt();
        float[] nll = new float[rows], lse = new float[rows];
        VectorKernels.crossEntropyForward(padded, ids, rows, v, width, nll, lse);
        if (saved != null) saved[0] = new CrossEntropySaved(padded, ids, lse, rows, v, width);
        return array(nll, targets.shape());
    }

    /** d logits of {@link #softmaxCrossEntropy} from d nll. */
    static INDArray softmaxCrossEntropyBackward(CrossEntropySaved s, INDArray dnll, long[] logitsShape) {
        float[] padded = new float[s.rows() * s.width()], dx = new float[s.rows() * s.v()];
        VectorKernels.crossEntropyBackward(s.logits(), s.targets(), s.lse(), floats(dnll), s.rows(), s.v(), s.width(), padded);
        for (int row = 0; row < s.rows(); row++) System.arraycopy(padded, row * s.width(), dx, row * s.v(), s.v());
        return array(dx, logitsShape);
    }

    /** The elements of a float32 array in C order (a bulk copy; a view, or other strides, is made whole first). */
    static float[] floats(INDArray x) {
        boolean whole = x.ordering() == 'c' && Shape.hasDefaultStridesForShape(x) && x.offset() == 0 && x.data().length() == x.length();
        INDArray c = whole ? x : x.dup('c');
        float[] out = new float[Math.toIntExact(c.length())];
        c.data().asNioFloat().get(0, out, 0, out.length);
        return out;
    }

    /**
     * A new float32 array holding {@code data}, by one bulk copy: {@code Nd4j.create(float[], ...)} copies element by
     * element ({@code BaseDataBuffer.put}), a measurable share of a step.
     */
    static INDArray array(float[] data, long[] shape) {
        return FloatArrays.of(data, shape);
    }
}
