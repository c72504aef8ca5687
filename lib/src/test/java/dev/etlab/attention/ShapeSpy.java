package dev.etlab.attention;

import dev.etlab.tensor.Ops;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Ops that delegate to another instance and remember the largest result (in elements) any
 * operation produced: lets a test check that a sparse mechanism never builds a (T × T) array, in
 * eager mode or in a graph (whose backward pass holds arrays of the forward's shapes).
 */
final class ShapeSpy<T> implements Ops<T> {
    private final Ops<T> inner;
    long largest;

    ShapeSpy(Ops<T> inner) {
        this.inner = inner;
    }

    private T seen(T out) {
        long n = 1;
        for (long s : inner.shape(out)) n *= s;
        largest = Math.max(largest, n);
        return out;
    }

    @Override public DataType dataType() { return inner.dataType(); }
    @Override public T param(String name) { return inner.param(name); }
    @Override public T constant(INDArray value) { return seen(inner.constant(value)); }
    @Override public long[] shape(T x) { return inner.shape(x); }
    @Override public T matmul(T a, T b, boolean ta, boolean tb) { return seen(inner.matmul(a, b, ta, tb)); }
    @Override public T add(T a, T b) { return seen(inner.add(a, b)); }
    @Override public T sub(T a, T b) { return seen(inner.sub(a, b)); }
    @Override public T mul(T a, T b) { return seen(inner.mul(a, b)); }
    @Override public T div(T a, T b) { return seen(inner.div(a, b)); }
    @Override public T add(T a, double s) { return seen(inner.add(a, s)); }
    @Override public T mul(T a, double s) { return seen(inner.mul(a, s)); }
    @Override public T maximum(T a, double s) { return seen(inner.maximum(a, s)); }
    @Override public T neg(T a) { return seen(inner.neg(a)); }
    @Override public T exp(T a) { return seen(inner.exp(a)); }
    @Override public T log(T a) { return seen(inner.log(a)); }
    @Override public T sqrt(T a) { return seen(inner.sqrt(a)); }
    @Override public T square(T a) { return seen(inner.square(a)); }
    @Override public T tanh(T a) { return seen(inner.tanh(a)); }
    @Override public T sigmoid(T a) { return seen(inner.sigmoid(a)); }
    @Override public T relu(T a) { return seen(inner.relu(a)); }
    @Override public T rsqrt(T a) { return seen(inner.rsqrt(a)); }
    @Override public T abs(T a) { return seen(inner.abs(a)); }
    @Override public T softmax(T a, int axis) { return seen(inner.softmax(a, axis)); }
    @Override public T logSoftmax(T a, int axis) { return seen(inner.logSoftmax(a, axis)); }
    @Override public T sum(T a, boolean keepDims, int... axes) { return seen(inner.sum(a, keepDims, axes)); }
    @Override public T mean(T a, boolean keepDims, int... axes) { return seen(inner.mean(a, keepDims, axes)); }
    @Override public T max(T a, boolean keepDims, int... axes) { return seen(inner.max(a, keepDims, axes)); }
    @Override public T reshape(T a, long... shape) { return seen(inner.reshape(a, shape)); }
    @Override public T permute(T a, int... axes) { return seen(inner.permute(a, axes)); }
    @Override public T concat(int axis, List<T> parts) { return seen(inner.concat(axis, parts)); }
    @Override public T slice(T a, int axis, long from, long to) { return seen(inner.slice(a, axis, from, to)); }
    @Override public T oneHot(T indices, int depth) { return seen(inner.oneHot(indices, depth)); }
    @Override public T stopGradient(T a) { return seen(inner.stopGradient(a)); }
    @Override public INDArray value(T x) { return inner.value(x); }
    @Override public T gatherRows(T a, INDArray index) { return seen(inner.gatherRows(a, index)); }
    @Override public T cumsum(T a, int axis, boolean exclusive) { return seen(inner.cumsum(a, axis, exclusive)); }
    @Override public T dropout(T a, double p) { return seen(inner.dropout(a, p)); }
}
