package dev.etlab.tensor;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Graph {@link Ops}: each call adds a node to a SameDiff graph, which SameDiff differentiates.
 * Parameters become SameDiff variables that share their arrays with the parameter store, so an
 * optimizer updating the store in place updates the graph too.
 *
 * <p>SameDiff does not know the shapes of op outputs before it runs them, so this class tracks
 * every shape itself ({@link Shapes}); that is also what catches shape errors at build time with a
 * readable message instead of a native error at run time.
 */
public final class SdOps implements Ops<SDVariable> {

    /** A dropout mask the trainer must feed each step: a placeholder of the given shape. */
    public record DropoutSite(String placeholder, long[] shape, double p) {
        /** An inverted-dropout mask for this site: 0 with probability p, else 1/(1−p); draws from {@code rng}. */
        public INDArray mask(Random rng, DataType type) {
            long n = 1;
            for (long d : shape) n *= d;
            float keep = (float) (1 - p);
            float[] m = new float[Math.toIntExact(n)];
            for (int i = 0; i < m.length; i++) m[i] = rng.nextFloat() < keep ? 1f / keep : 0f;
            return Nd4j.createFromArray(m).reshape(shape).castTo(type);
        }
    }

    private final SameDiff sd;
    private final ParamSource params;
    private final DataType dataType;
    private final boolean training;
    private final Map<SDVariable, long[]> shapes = new IdentityHashMap<>();
    private final Map<String, SDVariable> paramVars = new LinkedHashMap<>();
    private final List<DropoutSite> dropoutSites = new ArrayList<>();

    /**
     * @param training whether dropout is active (its masks then become placeholders, see {@link #dropoutSites()})
     */
    public SdOps(SameDiff sd, ParamSource params, DataType dataType, boolean training) {
        this.sd = sd;
        this.params = params;
        this.dataType = dataType;
        this.training = training;
    }

    public SameDiff sameDiff() { return sd; }

    /** Names of the parameters the graph used, in first-use order. */
    public List<String> paramNames() { return List.copyOf(paramVars.keySet()); }

    public List<DropoutSite> dropoutSites() { return List.copyOf(dropoutSites); }

    /** A placeholder with a static shape. */
    public SDVariable placeholder(String name, DataType type, long... shape) {
        return track(sd.placeHolder(name, type, shape), shape);
    }

    /** Registers the static shape of a variable created outside this class (a graph input, say). */
    public SDVariable track(SDVariable v, long[] shape) {
        shapes.put(v, shape.clone());
        return v;
    }

    @Override public DataType dataType() { return dataType; }

    @Override
    public SDVariable param(String name) {
        SDVariable v = paramVars.get(name);
        if (v == null) {
            INDArray arr = params.get(name);
            v = track(sd.var(name, arr), arr.shape());
            paramVars.put(name, v);
        }
        return v;
    }

    @Override
    public SDVariable constant(INDArray value) {
        INDArray v = value.dataType().isFPType() && value.dataType() != dataType ? value.castTo(dataType) : value;
        return track(sd.constant(v), v.shape());
    }

    @Override
    public long[] shape(SDVariable x) {
        long[] s = shapes.get(x);
        if (s == null) throw new IllegalStateException("no static shape known for graph variable " + x.name());
        return s.clone();
    }

    @Override
    public SDVariable matmul(SDVariable a, SDVariable b, boolean ta, boolean tb) {
        return track(sd.mmul(a, b, ta, tb, false), Shapes.matmul(shape(a), shape(b), ta, tb));
    }

    @Override public SDVariable add(SDVariable a, SDVariable b) { return track(a.add(b), Shapes.broadcast(shape(a), shape(b))); }
    @Override public SDVariable sub(SDVariable a, SDVariable b) { return track(a.sub(b), Shapes.broadcast(shape(a), shape(b))); }
    @Override public SDVariable mul(SDVariable a, SDVariable b) { return track(a.mul(b), Shapes.broadcast(shape(a), shape(b))); }
    @Override public SDVariable div(SDVariable a, SDVariable b) { return track(a.div(b), Shapes.broadcast(shape(a), shape(b))); }

    @Override public SDVariable add(SDVariable a, double s) { return same(a, a.add(s)); }
    @Override public SDVariable mul(SDVariable a, double s) { return same(a, a.mul(s)); }
    @Override public SDVariable maximum(SDVariable a, double s) { return same(a, sd.scalarMax(a, s)); }
    @Override public SDVariable neg(SDVariable a) { return same(a, a.neg()); }
    @Override public SDVariable exp(SDVariable a) { return same(a, sd.math.exp(a)); }
    @Override public SDVariable log(SDVariable a) { return same(a, sd.math.log(a)); }
    @Override public SDVariable sqrt(SDVariable a) { return same(a, sd.math.sqrt(a)); }
    @Override public SDVariable square(SDVariable a) { return same(a, a.mul(a)); }
    @Override public SDVariable tanh(SDVariable a) { return same(a, sd.math.tanh(a)); }
    @Override public SDVariable sigmoid(SDVariable a) { return same(a, sd.nn.sigmoid(a)); }
    @Override public SDVariable relu(SDVariable a) { return same(a, sd.nn.relu(a, 0.0)); }
    @Override public SDVariable rsqrt(SDVariable a) { return same(a, sd.math.rsqrt(a)); }
    @Override public SDVariable abs(SDVariable a) { return same(a, sd.math.abs(a)); }

    private SDVariable same(SDVariable in, SDVariable out) {
        return track(out, shape(in));
    }

    @Override
    public SDVariable softmax(SDVariable a, int axis) {
        int ax = Shapes.axis(axis, shape(a).length);
        // float64 only: ND4J 1.0.0-M2.1's softmax gives NaN rows there otherwise (see NdOps.softmax); shift-invariant
        SDVariable in = a.dataType() == DataType.DOUBLE ? sub(a, stopGradient(max(a, true, ax))) : a;
        return same(a, sd.nn.softmax(in, ax));
    }

    @Override
    public SDVariable logSoftmax(SDVariable a, int axis) {
        int r = shape(a).length;
        if (Shapes.axis(axis, r) == r - 1) {
            // the fused op without a dimension argument (= last axis); with one, SameDiff fails to
            // clone it into the gradient function in ND4J 1.0.0-M2.1
            return same(a, sd.nn.logSoftmax(a));
        }
        SDVariable shifted = sub(a, stopGradient(max(a, true, axis)));
        return sub(shifted, log(sum(exp(shifted), true, axis)));
    }

    /**
     * reshape → xw_plus_b → reshape: one fused op for the product and the bias instead of two. SameDiff's
     * cost here is mostly per op (bookkeeping on every gradient pass), so fewer ops train faster.
     * (tensorMmul would be one op, but its backward fails for rank-3 × rank-2 in ND4J 1.0.0-M2.1.)
     */
    @Override
    public SDVariable linear(SDVariable x, SDVariable w, SDVariable b) {
        long[] xs = shape(x), ws = shape(w);
        if (ws.length != 2 || xs[xs.length - 1] != ws[0] || !java.util.Arrays.equals(shape(b), new long[] {ws[1]})) {
            throw new IllegalArgumentException("linear shapes " + java.util.Arrays.toString(xs) + " x " + java.util.Arrays.toString(ws)
                + " + " + java.util.Arrays.toString(shape(b)) + ": expected (..., Din) x (Din, Dout) + (Dout)");
        }
        long rows = 1;
        for (int i = 0; i < xs.length - 1; i++) rows *= xs[i];
        SDVariable flat = xs.length == 2 ? x : reshape(x, rows, xs[xs.length - 1]);
        SDVariable y = track(sd.nn.linear(flat, w, b), new long[] {rows, ws[1]});
        long[] out = xs.clone();
        out[out.length - 1] = ws[1];
        return xs.length == 2 ? y : reshape(y, out);
    }

    @Override
    public SDVariable sum(SDVariable a, boolean keepDims, int... axes) {
        return track(sd.sum(a, keepDims, normalized(axes, a)), Shapes.reduce(shape(a), keepDims, axes));
    }

    @Override
    public SDVariable mean(SDVariable a, boolean keepDims, int... axes) {
        return track(sd.mean(a, keepDims, normalized(axes, a)), Shapes.reduce(shape(a), keepDims, axes));
    }

    @Override
    public SDVariable max(SDVariable a, boolean keepDims, int... axes) {
        return track(sd.max(a, keepDims, normalized(axes, a)), Shapes.reduce(shape(a), keepDims, axes));
    }

    /**
     * Non-negative axes in ascending order: SameDiff's reductions give wrong values for axes in
     * descending order (max over (3, 2) with keepDims, ND4J 1.0.0-M2.1), so never pass them unsorted.
     */
    private int[] normalized(int[] axes, SDVariable a) {
        return Shapes.sortedAxes(axes, shape(a).length);
    }

    private int[] permutation(int[] axes, SDVariable a) {
        int r = shape(a).length;
        int[] out = new int[axes.length];
        for (int i = 0; i < axes.length; i++) out[i] = Shapes.axis(axes[i], r);
        return out;
    }

    @Override
    public SDVariable reshape(SDVariable a, long... shape) {
        long[] s = Shapes.reshape(shape(a), shape);
        return track(sd.reshape(a, s), s);
    }

    @Override
    public SDVariable permute(SDVariable a, int... axes) {
        return track(sd.permute(a, permutation(axes, a)), Shapes.permute(shape(a), axes));
    }

    @Override
    public SDVariable concat(int axis, java.util.List<SDVariable> parts) {
        long[][] s = new long[parts.size()][];
        for (int i = 0; i < parts.size(); i++) s[i] = shape(parts.get(i));
        long[] out = Shapes.concat(axis, s);
        return parts.size() == 1 ? parts.get(0) : track(sd.concat(Shapes.axis(axis, out.length), parts.toArray(new SDVariable[0])), out);
    }

    @Override
    public SDVariable slice(SDVariable a, int axis, long from, long to) {
        long[] s = shape(a);
        long[] out = Shapes.slice(s, axis, from, to);
        int ax = Shapes.axis(axis, s.length);
        int[] begin = new int[s.length];
        int[] size = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            begin[i] = i == ax ? Math.toIntExact(from) : 0;
            size[i] = Math.toIntExact(out[i]);
        }
        return track(sd.slice(a, begin, size), out);
    }

    @Override
    public SDVariable oneHot(SDVariable indices, int depth) {
        long[] s = shape(indices);
        long[] out = java.util.Arrays.copyOf(s, s.length + 1);
        out[s.length] = depth;
        return track(sd.oneHot(indices, depth, -1, 1.0, 0.0, dataType), out);
    }

    @Override
    public INDArray value(SDVariable x) {
        throw new EagerOnlyException("value(" + x.name() + ")");
    }

    @Override
    public SDVariable gatherRows(SDVariable a, INDArray index) {
        throw new EagerOnlyException("gatherRows(" + a.name() + ")");
    }

    @Override
    public SDVariable stopGradient(SDVariable a) {
        return same(a, new org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient(sd, a).outputVariable());
    }

    @Override
    public SDVariable cumsum(SDVariable a, int axis, boolean exclusive) {
        int rank = shape(a).length, ax = Shapes.axis(axis, rank);
        if (ax == 0) return same(a, sd.cumsum(a, exclusive, false, 0));
        // cumsum's gradient is only right along axis 0 in ND4J 1.0.0-M2.1: move the axis to the front and back
        int[] toFront = new int[rank];
        toFront[0] = ax;
        for (int i = 1, j = 0; i < rank; i++, j++) toFront[i] = j == ax ? ++j : j;
        int[] back = new int[rank];
        for (int i = 0; i < rank; i++) back[toFront[i]] = i;
        SDVariable front = permute(a, toFront);
        return permute(same(front, sd.cumsum(front, exclusive, false, 0)), back);
    }

    @Override
    public SDVariable dropout(SDVariable a, double p) {
        if (!training || p == 0) return a;
        long[] s = shape(a);
        String name = "dropout_mask_" + dropoutSites.size();
        SDVariable mask = placeholder(name, dataType, s);
        dropoutSites.add(new DropoutSite(name, s, p));
        return same(a, a.mul(mask));
    }

    @Override
    public SDVariable named(SDVariable a, String name) {
        long[] s = shape(a);
        SDVariable renamed = a.rename(name);
        return track(renamed, s);
    }
}
