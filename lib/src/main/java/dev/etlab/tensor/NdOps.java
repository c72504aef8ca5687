package dev.etlab.tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
import org.nd4j.linalg.api.ops.impl.transforms.custom.CumSum;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.DivOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Eager {@link Ops}: each call computes its result immediately. Used for inference, evaluation,
 * benchmarks and as the reference the graph mode is tested against. Dropout is the identity.
 *
 * <p>Intermediate results can be captured with {@link #record}: layers call it with names such
 * as {@code blocks.0.attn.probs}, and a recording instance keeps them for heatmaps and notebooks.
 */
public final class NdOps implements Ops<INDArray> {
    private final ParamSource params;
    private final DataType dataType;
    private final Map<String, INDArray> recorded;

    private NdOps(ParamSource params, DataType dataType, boolean recording) {
        this.params = params;
        this.dataType = dataType;
        this.recorded = recording ? new LinkedHashMap<>() : null;
    }

    public static NdOps of(ParamSource params, DataType dataType) {
        return new NdOps(params, dataType, false);
    }

    /** An instance that keeps what layers {@link #record}. */
    public static NdOps recording(ParamSource params, DataType dataType) {
        return new NdOps(params, dataType, true);
    }

    /** Whether this instance keeps recorded values ({@link #recording}): a layer may then take a slower path that has them. */
    public boolean isRecording() {
        return recorded != null;
    }

    /** Values recorded so far, in call order (empty unless created with {@link #recording}). */
    public Map<String, INDArray> recorded() {
        return recorded == null ? Map.of() : recorded;
    }

    @Override
    public void record(String name, INDArray value) {
        if (recorded != null) recorded.put(name, value);
    }

    @Override public DataType dataType() { return dataType; }
    @Override public INDArray param(String name) { return params.get(name); }

    @Override
    public INDArray constant(INDArray value) {
        return value.dataType().isFPType() && value.dataType() != dataType ? value.castTo(dataType) : value;
    }

    /** A copy: ND4J hands out its internal shape array, and writing to that would corrupt the array. */
    @Override public long[] shape(INDArray x) { return x.shape().clone(); }

    @Override
    public INDArray matmul(INDArray a, INDArray b, boolean ta, boolean tb) {
        Shapes.matmul(a.shape(), b.shape(), ta, tb);
        return Nd4j.matmul(a, b, ta, tb, false);
    }

    @Override public INDArray add(INDArray a, INDArray b) { return pairwise(new AddOp(a, b), a, b); }
    @Override public INDArray sub(INDArray a, INDArray b) { return pairwise(new SubOp(a, b), a, b); }
    @Override public INDArray mul(INDArray a, INDArray b) { return pairwise(new MulOp(a, b), a, b); }
    @Override public INDArray div(INDArray a, INDArray b) { return pairwise(new DivOp(a, b), a, b); }

    private static INDArray pairwise(org.nd4j.linalg.api.ops.CustomOp op, INDArray a, INDArray b) {
        Shapes.broadcast(a.shape(), b.shape());
        return Nd4j.exec(op)[0];
    }

    @Override public INDArray add(INDArray a, double s) { return a.add(s); }
    @Override public INDArray mul(INDArray a, double s) { return a.mul(s); }
    @Override public INDArray maximum(INDArray a, double s) { return Transforms.max(a, s, true); }
    @Override public INDArray neg(INDArray a) { return a.neg(); }
    @Override public INDArray exp(INDArray a) { return Transforms.exp(a, true); }
    @Override public INDArray log(INDArray a) { return Transforms.log(a, true); }
    @Override public INDArray sqrt(INDArray a) { return Transforms.sqrt(a, true); }
    @Override public INDArray square(INDArray a) { return a.mul(a); }
    @Override public INDArray tanh(INDArray a) { return Transforms.tanh(a, true); }
    @Override public INDArray sigmoid(INDArray a) { return Transforms.sigmoid(a, true); }
    @Override public INDArray relu(INDArray a) { return Transforms.relu(a, true); }
    @Override public INDArray rsqrt(INDArray a) { return Transforms.pow(a, -0.5, true); }
    @Override public INDArray abs(INDArray a) { return Transforms.abs(a, true); }

    /** {@link Ops#gelu}; float32 by the Vector API kernel when it is on ({@link Fused}), as {@link TapeOps} does. */
    @Override
    public INDArray gelu(INDArray x) {
        return Fused.applies(x) ? Fused.gelu(x) : Ops.super.gelu(x);
    }

    /** {@link Ops#layerNorm}; float32 by the Vector API kernel when it is on ({@link Fused}), as {@link TapeOps} does. */
    @Override
    public INDArray layerNorm(INDArray x, INDArray gain, INDArray bias, double eps) {
        return Fused.applies(x, gain, bias) ? Fused.layerNorm(x, gain, bias, eps, null) : Ops.super.layerNorm(x, gain, bias, eps);
    }

    /** {@link Ops#softmaxCrossEntropy}; float32 by the Vector API kernel when it is on ({@link Fused}), as {@link TapeOps} does. */
    @Override
    public INDArray softmaxCrossEntropy(INDArray logits, INDArray targets) {
        return Fused.applies(logits) ? Fused.softmaxCrossEntropy(logits, targets, null) : Ops.super.softmaxCrossEntropy(logits, targets);
    }

    @Override
    public INDArray softmax(INDArray a, int axis) {
        int ax = Shapes.axis(axis, a.rank());
        // ND4J 1.0.0-M2.1 (CPU): the float64 softmax of an array with more than one row returns NaN for a row whose
        // values all lie far below the others' (e.g. a fully masked row, or one shifted by -1000); float32 is right.
        // Softmax is shift-invariant, so subtracting each row's max first gives the same values without the NaN.
        INDArray in = a.dataType() == DataType.DOUBLE ? sub(a, max(a, true, ax)) : a;
        return Nd4j.exec(new SoftMax(in, ax))[0];
    }

    @Override
    public INDArray logSoftmax(INDArray a, int axis) {
        return Nd4j.exec(new LogSoftMax(a, Shapes.axis(axis, a.rank())))[0];
    }

    @Override
    public INDArray sum(INDArray a, boolean keepDims, int... axes) {
        return a.sum(keepDims, Shapes.sortedAxes(axes, a.rank()));
    }

    @Override
    public INDArray mean(INDArray a, boolean keepDims, int... axes) {
        return a.mean(keepDims, Shapes.sortedAxes(axes, a.rank()));
    }

    @Override
    public INDArray max(INDArray a, boolean keepDims, int... axes) {
        return a.max(keepDims, Shapes.sortedAxes(axes, a.rank()));
    }

    private static int[] normalized(int[] axes, int rank) {
        int[] out = new int[axes.length];
        for (int i = 0; i < axes.length; i++) out[i] = Shapes.axis(axes[i], rank);
        return out;
    }

    @Override
    public INDArray reshape(INDArray a, long... shape) {
        return a.reshape('c', Shapes.reshape(a.shape(), shape));
    }

    @Override
    public INDArray permute(INDArray a, int... axes) {
        Shapes.permute(a.shape(), axes);
        return a.permute(normalized(axes, a.rank()));
    }

    @Override
    public INDArray concat(int axis, java.util.List<INDArray> parts) {
        long[][] shapes = new long[parts.size()][];
        for (int i = 0; i < parts.size(); i++) shapes[i] = parts.get(i).shape();
        Shapes.concat(axis, shapes);
        if (parts.size() == 1) return parts.get(0);
        return Nd4j.concat(Shapes.axis(axis, parts.get(0).rank()), parts.toArray(new INDArray[0]));
    }

    @Override
    public INDArray slice(INDArray a, int axis, long from, long to) {
        Shapes.slice(a.shape(), axis, from, to);
        int ax = Shapes.axis(axis, a.rank());
        INDArrayIndex[] idx = new INDArrayIndex[a.rank()];
        for (int i = 0; i < idx.length; i++) idx[i] = i == ax ? NDArrayIndex.interval(from, to) : NDArrayIndex.all();
        return a.get(idx);
    }

    @Override
    public INDArray oneHot(INDArray indices, int depth) {
        return Nd4j.exec(new OneHot(indices, depth, -1, 1.0, 0.0, dataType))[0];
    }

    @Override public INDArray stopGradient(INDArray a) { return a; }
    @Override public INDArray value(INDArray x) { return x; }

    @Override
    public INDArray gatherRows(INDArray a, INDArray index) {
        return pickRows(a, flatRows(a, index), index.size(1));
    }

    /** Rows {@code flat} of a (N, L, X...) seen as (N·L, X) → (N, M, X...). */
    static INDArray pickRows(INDArray a, int[] flat, long m) {
        long[] s = a.shape();
        long width = a.length() / (s[0] * s[1]);
        INDArray picked = Nd4j.pullRows(a.dup('c').reshape('c', s[0] * s[1], width), 1, flat); // (N·M, X)
        long[] out = s.clone();
        out[1] = m;
        return picked.reshape('c', out);
    }

    /** Checks a (N, L, ...) and integer index (N, M), and gives the row numbers n·L + index[n, m] of the (N·L, X) view. */
    static int[] flatRows(INDArray a, INDArray index) {
        long[] s = a.shape();
        dev.etlab.Check.arg(s.length >= 2, "a", "array of shape " + java.util.Arrays.toString(s), "rank ≥ 2: (N, L, ...)");
        dev.etlab.Check.arg(index.rank() == 2 && index.size(0) == s[0] && !index.dataType().isFPType(), "index",
            index.dataType() + " array of shape " + java.util.Arrays.toString(index.shape()), "integer ids of shape (" + s[0] + ", M)");
        return flatRows(index, s[1]);
    }

    /** index (N, M) with values in [0, L) → row numbers n·L + index[n, m] of the (N·L, X) view. */
    private static int[] flatRows(INDArray index, long rows) {
        long n = index.size(0), m = index.size(1);
        int[] ids = index.dup('c').data().asInt();
        int[] flat = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= rows) {
                throw new IllegalArgumentException("index = " + ids[i] + " at (" + i / m + ", " + i % m + "): expected a row in [0, " + rows + ")");
            }
            flat[i] = (int) ((i / m) * rows + ids[i]);
        }
        return flat;
    }

    @Override
    public INDArray cumsum(INDArray a, int axis, boolean exclusive) {
        return Nd4j.exec(new CumSum(a, exclusive, false, Shapes.axis(axis, a.rank())))[0];
    }

    @Override public INDArray dropout(INDArray a, double p) { return a; }
}
