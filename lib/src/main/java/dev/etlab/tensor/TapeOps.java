package dev.etlab.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastTo;
import org.nd4j.linalg.api.ops.impl.transforms.custom.CumSum;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.SoftmaxBp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Reverse-mode automatic differentiation over eager ND4J operations: the training engine.
 *
 * <p>Every operation computes its value at once (with {@link NdOps}, so values equal the eager
 * path's exactly) and, when a gradient can flow through it, appends its backward rule to a tape.
 * {@link #backward} walks the tape in reverse. There is no graph to build, so a step costs the
 * operations themselves plus a few microseconds of bookkeeping each; SameDiff's per-op session
 * overhead, which dominated a training step, is gone (lib/PERFORMANCE.md).
 *
 * <p>A layer can define its own backward pass with {@link #custom} and recompute what it did not
 * keep with {@link #recompute} (a nested tape that shares this tape's parameters): reversible
 * residual layers, gradient checkpointing and memory-efficient exact attention are built on that.
 *
 * <p>One instance records one forward pass; make a new one per training step.
 */
public final class TapeOps implements Ops<Var> {

    /** A hand-written backward rule: gradients of the outputs in (zeros where none reached), gradients of the inputs out. */
    @FunctionalInterface
    public interface Backward {
        /** @return one gradient per input, in order; null for an input that gets none */
        INDArray[] apply(INDArray[] outputGrads);
    }

    private record Node(Var[] outputs, Backward backward) {}

    private final NdOps nd;
    private final ParamSource params;
    private final Predicate<String> trainable;
    private final DataType dataType;
    private final Random dropoutRng;
    private final boolean recording;
    private final Map<String, Var> paramVars;
    private final List<Node> tape;

    private TapeOps(ParamSource params, Predicate<String> trainable, DataType dataType, Random dropoutRng,
                    boolean recording, Map<String, Var> paramVars) {
        this(params, trainable, dataType, dropoutRng, recording, paramVars, new ArrayList<>());
    }

    private TapeOps(ParamSource params, Predicate<String> trainable, DataType dataType, Random dropoutRng,
                    boolean recording, Map<String, Var> paramVars, List<Node> tape) {
        this.tape = tape;
        this.nd = NdOps.of(params, dataType);
        this.params = params;
        this.trainable = trainable;
        this.dataType = dataType;
        this.dropoutRng = dropoutRng;
        this.recording = recording;
        this.paramVars = paramVars;
    }

    /**
     * A tape for one training step.
     *
     * @param trainable  which parameters get gradients (others are constants, e.g. fixed buffers)
     * @param dropoutRng source of dropout masks; null turns dropout off (evaluation, gradient checks)
     */
    public static TapeOps training(ParamSource params, Predicate<String> trainable, DataType dataType, Random dropoutRng) {
        return new TapeOps(params, trainable, dataType, dropoutRng, true, new LinkedHashMap<>());
    }

    /** A tape where every parameter is trainable and dropout is off. */
    public static TapeOps of(ParamSource params, DataType dataType) {
        return training(params, name -> true, dataType, null);
    }

    /**
     * A tape for recomputing part of the forward pass during the backward pass: same parameters (their
     * gradients accumulate into this tape's), dropout masks drawn from {@code rng} so that a recompute
     * seeded like the original forward replays the same masks. With {@code recording} false it
     * records nothing: a forward pass that keeps no activations.
     */
    public TapeOps nested(Random rng, boolean recording) {
        return new TapeOps(params, trainable, dataType, dropoutRng == null ? null : rng, recording, paramVars);
    }

    /**
     * This same tape (operations recorded here, one backward pass) with dropout masks drawn from
     * {@code new Random(seed)}: what a block uses so that a later recompute ({@link #recompute} with
     * the same seed) replays its masks.
     */
    public TapeOps seeded(long seed) {
        return new TapeOps(params, trainable, dataType, dropoutRng == null ? null : new Random(seed), recording, paramVars, tape);
    }

    /** A seed for a block whose forward pass will be replayed (its dropout masks drawn from it); 0 when dropout is off. */
    public long drawSeed() { return dropoutRng == null ? 0 : dropoutRng.nextLong(); }

    // ---------------------------------------------------------------- tensors

    /** A tensor that receives a gradient (an input whose gradient a test or a nested recompute wants). */
    public Var leaf(INDArray value) {
        return new Var(value, recording);
    }

    /** Gradients of the trainable parameters used so far, by name (zeros for those the loss did not reach). */
    public Map<String, INDArray> paramGradients() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        paramVars.forEach((name, v) -> {
            if (v.requiresGrad()) out.put(name, v.grad() != null ? v.grad() : v.value().ulike().assign(0));
        });
        return out;
    }

    /** Number of operations on the tape (for tests and profiling). */
    public int tapeLength() { return tape.size(); }

    /**
     * Bytes of the activations this tape keeps for its backward pass: the values of every recorded
     * operation's outputs, each buffer once (views share their buffer). What a reversible stack or a
     * checkpoint saves shows here exactly, where a process's peak memory also depends on when the
     * garbage collector frees ND4J's buffers. Constants and parameters are not counted.
     */
    public long keptBytes() {
        java.util.Set<Object> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        long bytes = 0;
        for (Node node : tape) {
            for (Var v : node.outputs()) {
                org.nd4j.linalg.api.buffer.DataBuffer buffer = v.value().data();
                if (seen.add(buffer)) bytes += buffer.length() * buffer.getElementSize();
            }
        }
        return bytes;
    }

    /** Back-propagates d loss / d loss = 1 from a scalar (or one-element) loss. */
    public void backward(Var loss) {
        dev.etlab.Check.arg(loss.value().length() == 1, "loss", Arrays.toString(loss.shape()), "a one-element tensor");
        backward(loss, Nd4j.onesLike(loss.value()));
    }

    /** Back-propagates a given output gradient (same shape as {@code output}) through everything recorded. */
    public void backward(Var output, INDArray outputGrad) {
        dev.etlab.Check.arg(Arrays.equals(output.shape(), outputGrad.shape()), "outputGrad", Arrays.toString(outputGrad.shape()),
            "the output's shape " + Arrays.toString(output.shape()));
        output.accumulate(outputGrad);
        for (int i = tape.size() - 1; i >= 0; i--) {
            Node node = tape.get(i);
            boolean reached = false;
            INDArray[] grads = new INDArray[node.outputs().length];
            for (int j = 0; j < grads.length; j++) {
                grads[j] = node.outputs()[j].grad();
                reached |= grads[j] != null;
            }
            if (!reached) continue;
            for (int j = 0; j < grads.length; j++) if (grads[j] == null) grads[j] = node.outputs()[j].value().ulike().assign(0);
            node.backward().apply(grads);
        }
        tape.clear();
    }

    /**
     * An operation with a hand-written backward pass. The caller computed {@code outputs} from the
     * inputs' values (with any ops it likes, recorded nowhere); {@code backward} maps the outputs'
     * gradients to the inputs' gradients, and may itself {@link #recompute} what it needs.
     */
    public Var[] custom(Var[] inputs, INDArray[] outputs, Backward backward) {
        boolean grad = recording && Arrays.stream(inputs).anyMatch(Var::requiresGrad);
        Var[] outs = new Var[outputs.length];
        for (int i = 0; i < outputs.length; i++) outs[i] = new Var(outputs[i], grad);
        if (grad) {
            tape.add(new Node(outs, gradsOut -> {
                INDArray[] gradsIn = backward.apply(gradsOut);
                dev.etlab.Check.arg(gradsIn.length == inputs.length, "custom backward result", gradsIn.length + " gradients",
                    inputs.length + " (one per input)");
                for (int i = 0; i < inputs.length; i++) inputs[i].accumulate(gradsIn[i]);
                return null;
            }));
        }
        return outs;
    }

    /**
     * Gradient checkpointing: runs {@code block} now without keeping its activations, and again
     * during the backward pass (same dropout masks) to get the gradients of its inputs and parameters.
     * Memory: the block's inputs and output only, at the price of a second forward pass.
     */
    public Var checkpoint(java.util.function.BiFunction<TapeOps, Var[], Var> block, Var... inputs) {
        long seed = drawSeed();
        INDArray[] values = Arrays.stream(inputs).map(Var::value).toArray(INDArray[]::new);
        INDArray out = block.apply(nested(new Random(seed), false), wrap(values, false)).value();
        return custom(inputs, new INDArray[] {out}, g -> recompute(block, seed, values, g[0]))[0];
    }

    /**
     * Re-runs {@code block} on {@code inputs} on a recording nested tape (dropout replayed from
     * {@code seed}), back-propagates {@code outputGrad} through it (parameter gradients accumulate
     * into this tape's) and returns the inputs' gradients.
     */
    public INDArray[] recompute(java.util.function.BiFunction<TapeOps, Var[], Var> block, long seed,
                                INDArray[] inputs, INDArray outputGrad) {
        TapeOps inner = nested(new Random(seed), true);
        Var[] leaves = inner.wrap(inputs, true);
        inner.backward(block.apply(inner, leaves), outputGrad);
        INDArray[] grads = new INDArray[leaves.length];
        for (int i = 0; i < leaves.length; i++) grads[i] = leaves[i].grad() != null ? leaves[i].grad() : inputs[i].ulike().assign(0);
        return grads;
    }

    private Var[] wrap(INDArray[] values, boolean grad) {
        Var[] out = new Var[values.length];
        for (int i = 0; i < values.length; i++) out[i] = new Var(values[i], grad && recording);
        return out;
    }

    /** The result of an operation with one input; {@code backward} maps dy to dx. */
    private Var unary(Var a, INDArray value, java.util.function.UnaryOperator<INDArray> backward) {
        boolean grad = recording && a.requiresGrad();
        Var out = new Var(value, grad);
        if (grad) tape.add(new Node(new Var[] {out}, g -> { a.accumulate(backward.apply(g[0])); return null; }));
        return out;
    }

    /** The result of an operation with two inputs; {@code da}/{@code db} map dy to each input's gradient. */
    private Var binary(Var a, Var b, INDArray value, java.util.function.UnaryOperator<INDArray> da,
                       java.util.function.UnaryOperator<INDArray> db) {
        boolean grad = recording && (a.requiresGrad() || b.requiresGrad());
        Var out = new Var(value, grad);
        if (grad) {
            tape.add(new Node(new Var[] {out}, g -> {
                if (a.requiresGrad()) a.accumulate(da.apply(g[0]));
                if (b.requiresGrad()) b.accumulate(db.apply(g[0]));
                return null;
            }));
        }
        return out;
    }

    /** Sums a broadcast gradient back to the shape of the input it came from. */
    static INDArray unbroadcast(INDArray g, long[] shape) {
        long[] gs = g.shape();
        if (Arrays.equals(gs, shape)) return g;
        int lead = gs.length - shape.length;
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < gs.length; i++) if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) axes.add(i);
        INDArray summed = g.sum(true, axes.stream().mapToInt(Integer::intValue).toArray());
        return summed.reshape('c', shape);
    }

    // ---------------------------------------------------------------- Ops

    @Override public DataType dataType() { return dataType; }

    @Override
    public Var param(String name) {
        Var v = paramVars.get(name);
        if (v == null) {
            v = new Var(params.get(name), trainable.test(name), true);
            paramVars.put(name, v);
        }
        return v;
    }

    @Override public Var constant(INDArray value) { return new Var(nd.constant(value), false); }
    @Override public long[] shape(Var x) { return x.shape(); }

    @Override
    public Var matmul(Var a, Var b, boolean ta, boolean tb) {
        INDArray av = a.value(), bv = b.value();
        INDArray y = nd.matmul(av, bv, ta, tb);
        // C = op(A)·op(B): dA and dB by the four transpose cases
        return binary(a, b, y,
            g -> !ta ? (!tb ? mm(g, bv, false, true) : mm(g, bv, false, false)) : (!tb ? mm(bv, g, false, true) : mm(bv, g, true, true)),
            g -> !tb ? (!ta ? mm(av, g, true, false) : mm(av, g, false, false)) : (!ta ? mm(g, av, true, false) : mm(g, av, true, true)));
    }

    private static INDArray mm(INDArray a, INDArray b, boolean ta, boolean tb) {
        return Nd4j.matmul(a, b, ta, tb, false);
    }

    /** x (..., Din) · w (Din, Dout) + b (Dout) as one GEMM with a bias, and its backward in three. */
    @Override
    public Var linear(Var x, Var w, Var b) {
        long[] xs = x.shape(), ws = w.shape();
        dev.etlab.Check.arg(ws.length == 2 && xs[xs.length - 1] == ws[0] && Arrays.equals(b.shape(), new long[] {ws[1]}), "linear shapes",
            Arrays.toString(xs) + " x " + Arrays.toString(ws) + " + " + Arrays.toString(b.shape()), "(..., Din) x (Din, Dout) + (Dout)");
        long rows = x.value().length() / xs[xs.length - 1];
        INDArray flat = x.value().reshape('c', rows, ws[0]);
        INDArray y = Nd4j.gemm(flat, w.value(), false, false).addiRowVector(b.value());
        long[] out = xs.clone();
        out[out.length - 1] = ws[1];
        boolean grad = recording && (x.requiresGrad() || w.requiresGrad() || b.requiresGrad());
        Var result = new Var(y.reshape('c', out), grad);
        if (grad) {
            tape.add(new Node(new Var[] {result}, gs -> {
                INDArray g = gs[0].reshape('c', rows, ws[1]);
                if (w.requiresGrad()) w.accumulate(Nd4j.gemm(flat, g, true, false));
                if (b.requiresGrad()) b.accumulate(Fused.applies(g) ? Fused.columnSums(g) : g.sum(0)); // Vector API column sums, float32
                if (x.requiresGrad()) x.accumulate(Nd4j.gemm(g, w.value(), false, true).reshape('c', xs));
                return null;
            }));
        }
        return result;
    }

    @Override
    public Var add(Var a, Var b) {
        long[] as = a.shape(), bs = b.shape();
        return binary(a, b, nd.add(a.value(), b.value()), g -> unbroadcast(g, as), g -> unbroadcast(g, bs));
    }

    @Override
    public Var sub(Var a, Var b) {
        long[] as = a.shape(), bs = b.shape();
        return binary(a, b, nd.sub(a.value(), b.value()), g -> unbroadcast(g, as), g -> unbroadcast(g.neg(), bs));
    }

    @Override
    public Var mul(Var a, Var b) {
        long[] as = a.shape(), bs = b.shape();
        return binary(a, b, nd.mul(a.value(), b.value()),
            g -> unbroadcast(nd.mul(g, b.value()), as), g -> unbroadcast(nd.mul(g, a.value()), bs));
    }

    @Override
    public Var div(Var a, Var b) {
        long[] as = a.shape(), bs = b.shape();
        INDArray y = nd.div(a.value(), b.value());
        return binary(a, b, y, g -> unbroadcast(nd.div(g, b.value()), as),
            g -> unbroadcast(nd.div(nd.mul(g, y), b.value()).negi(), bs)); // d(a/b)/db = −y/b
    }

    @Override public Var add(Var a, double s) { return unary(a, nd.add(a.value(), s), g -> g); }
    @Override public Var mul(Var a, double s) { return unary(a, nd.mul(a.value(), s), g -> g.mul(s)); }

    @Override
    public Var maximum(Var a, double s) {
        return unary(a, nd.maximum(a.value(), s), g -> g.mul(a.value().gt(s).castTo(g.dataType())));
    }

    @Override public Var neg(Var a) { return unary(a, a.value().neg(), INDArray::neg); }

    @Override
    public Var exp(Var a) {
        INDArray y = nd.exp(a.value());
        return unary(a, y, g -> g.mul(y));
    }

    @Override public Var log(Var a) { return unary(a, nd.log(a.value()), g -> g.div(a.value())); }

    @Override
    public Var sqrt(Var a) {
        INDArray y = nd.sqrt(a.value());
        return unary(a, y, g -> g.div(y).muli(0.5));
    }

    @Override public Var square(Var a) { return unary(a, nd.square(a.value()), g -> g.mul(a.value()).muli(2)); }

    @Override
    public Var tanh(Var a) {
        INDArray y = nd.tanh(a.value());
        return unary(a, y, g -> g.mul(y.mul(y).rsubi(1)));
    }

    @Override
    public Var sigmoid(Var a) {
        INDArray y = nd.sigmoid(a.value());
        return unary(a, y, g -> g.mul(y).muli(y.rsub(1)));
    }

    @Override
    public Var relu(Var a) {
        return unary(a, nd.relu(a.value()), g -> g.mul(a.value().gt(0).castTo(g.dataType())));
    }

    @Override
    public Var rsqrt(Var a) {
        INDArray y = nd.rsqrt(a.value());
        return unary(a, y, g -> g.mul(y).muli(y).muli(y).muli(-0.5)); // d x^-½ = −½ x^-3/2
    }

    @Override
    public Var abs(Var a) {
        return unary(a, nd.abs(a.value()), g -> g.mul(Transforms.sign(a.value(), true)));
    }

    @Override
    public Var softmax(Var a, int axis) {
        INDArray y = nd.softmax(a.value(), axis);
        int ax = Shapes.axis(axis, y.rank());
        // dx = y ⊙ (dy − Σ dy ⊙ y) in one fused kernel, which recomputes the softmax from its input: given the
        // input less its row max (same softmax), as NdOps.softmax does, for ND4J's float64 NaN rows
        return unary(a, y, g -> Nd4j.exec(new SoftmaxBp(a.value().dataType() == DataType.DOUBLE
            ? nd.sub(a.value(), nd.max(a.value(), true, ax)) : a.value(), g, ax))[0]);
    }

    /**
     * Layer normalisation with a hand-written backward (Ba et al. 2016): the forward is the same
     * composite as {@link Ops#layerNorm}'s (same values as the eager path); the backward is
     * dx = r·(dx̂ − mean(dx̂) − x̂·mean(dx̂ ⊙ x̂)) with dx̂ = dy ⊙ γ, r = 1/√(var + ε), in a handful of
     * kernels instead of the two dozen the composite's tape would replay.
     */
    @Override
    public Var layerNorm(Var x, Var gain, Var bias, double eps) {
        if (Fused.applies(x.value(), gain.value(), bias.value())) return fusedLayerNorm(x, gain, bias, eps);
        INDArray xv = x.value();
        INDArray centred = nd.sub(xv, nd.mean(xv, true, -1));
        INDArray rstd = nd.rsqrt(nd.add(nd.mean(nd.square(centred), true, -1), eps));
        INDArray xhat = nd.mul(centred, rstd);
        INDArray y = nd.add(nd.mul(xhat, gain.value()), bias.value());
        long d = xv.size(-1), rows = xv.length() / d;
        return custom(new Var[] {x, gain, bias}, new INDArray[] {y}, gs -> {
            INDArray g = gs[0];
            INDArray dGain = gain.requiresGrad() ? g.mul(xhat).reshape('c', rows, d).sum(0) : null;
            INDArray dBias = bias.requiresGrad() ? g.reshape('c', rows, d).sum(0) : null;
            INDArray dx = null;
            if (x.requiresGrad()) {
                INDArray dxhat = nd.mul(g, gain.value());
                INDArray inner = nd.sub(dxhat, dxhat.mean(true, xv.rank() - 1));
                inner = nd.sub(inner, nd.mul(xhat, dxhat.muli(xhat).mean(true, xv.rank() - 1)));
                dx = nd.mul(inner, rstd);
            }
            return new INDArray[] {dx, dGain, dBias};
        })[0];
    }

    /**
     * {@link #layerNorm} by the Vector API kernels ({@link VectorKernels}, float32): two passes per row forward, two
     * backward; the tape keeps x, each row's mean and 1/√(var + ε) instead of x̂ and the centred x.
     */
    private Var fusedLayerNorm(Var x, Var gain, Var bias, double eps) {
        boolean keep = recording && (x.requiresGrad() || gain.requiresGrad() || bias.requiresGrad());
        Fused.LayerNormSaved[] saved = new Fused.LayerNormSaved[1];
        INDArray y = Fused.layerNorm(x.value(), gain.value(), bias.value(), eps, keep ? saved : null);
        return custom(new Var[] {x, gain, bias}, new INDArray[] {y}, gs -> {
            INDArray[] grads = Fused.layerNormBackward(saved[0], gs[0], gain.value());
            return new INDArray[] {x.requiresGrad() ? grads[0] : null, gain.requiresGrad() ? grads[1] : null,
                bias.requiresGrad() ? grads[2] : null};
        })[0];
    }

    /**
     * GELU (tanh form, {@link Ops#gelu}) with a hand-written backward: y = x·σ(z), z = c·x + c·0.044715·x³,
     * dy/dx = σ(z) + x·σ(z)(1 − σ(z))·(c + 3·c·0.044715·x²), c = 2√(2/π).
     */
    @Override
    public Var gelu(Var x) {
        INDArray xv = x.value();
        if (Fused.applies(xv)) return unary(x, Fused.gelu(xv), g -> Fused.geluBackward(xv, g)); // Vector API kernels, float32
        double c = 2 * Math.sqrt(2.0 / Math.PI);
        INDArray x2 = nd.square(xv);
        INDArray sig = nd.sigmoid(nd.mul(xv, nd.add(nd.mul(x2, c * 0.044715), c)));
        INDArray y = nd.mul(xv, sig);
        return unary(x, y, g -> {
            INDArray dz = x2.mul(3 * c * 0.044715).addi(c);                  // dz/dx
            INDArray slope = sig.rsub(1).muli(sig).muli(xv).muli(dz).addi(sig); // σ + x·σ(1−σ)·dz/dx
            return g.mul(slope);
        });
    }

    /**
     * {@link Ops#softmaxCrossEntropy}: float32 by the Vector API kernel ({@link VectorKernels}: one pass forward,
     * one backward, dx = dnll·(softmax − onehot)); otherwise the composite, whose tape replays four operations.
     */
    @Override
    public Var softmaxCrossEntropy(Var logits, Var targets) {
        if (!Fused.applies(logits.value())) return Ops.super.softmaxCrossEntropy(logits, targets);
        Fused.CrossEntropySaved[] saved = new Fused.CrossEntropySaved[1];
        INDArray nll = Fused.softmaxCrossEntropy(logits.value(), targets.value(), recording && logits.requiresGrad() ? saved : null);
        long[] shape = logits.shape();
        return unary(logits, nll, g -> Fused.softmaxCrossEntropyBackward(saved[0], g, shape));
    }

    @Override
    public Var logSoftmax(Var a, int axis) {
        INDArray y = nd.logSoftmax(a.value(), axis);
        int ax = Shapes.axis(axis, y.rank());
        return unary(a, y, g -> nd.sub(g, nd.mul(Transforms.exp(y, true), g.sum(true, ax)))); // dx = dy − softmax·Σdy
    }

    @Override
    public Var sum(Var a, boolean keepDims, int... axes) {
        long[] as = a.shape();
        long[] kept = Shapes.reduce(as, true, axes);
        return unary(a, nd.sum(a.value(), keepDims, axes), g -> expand(g.reshape('c', kept), as));
    }

    @Override
    public Var mean(Var a, boolean keepDims, int... axes) {
        long[] as = a.shape();
        long[] kept = Shapes.reduce(as, true, axes);
        long count = a.value().length() / Math.max(1, lengthOf(kept));
        return unary(a, nd.mean(a.value(), keepDims, axes), g -> expand(g.reshape('c', kept).div(count), as));
    }

    @Override
    public Var max(Var a, boolean keepDims, int... axes) {
        long[] as = a.shape();
        long[] kept = Shapes.reduce(as, true, axes);
        INDArray y = nd.max(a.value(), keepDims, axes);
        return unary(a, y, g -> { // the gradient goes to the maximal entries, shared among ties
            INDArray hit = nd.sub(a.value(), y.reshape('c', kept)).eq(0).castTo(g.dataType());
            INDArray ties = hit.sum(true, Shapes.sortedAxes(axes, as.length));
            return nd.mul(hit, nd.div(g.reshape('c', kept), ties));
        });
    }

    /** g broadcast to {@code shape} as a new array (libnd4j's broadcast_to: one pass, unlike INDArray.broadcast). */
    private static INDArray expand(INDArray g, long[] shape) {
        if (Arrays.equals(g.shape(), shape)) return g;
        return Nd4j.exec(new BroadcastTo(g, shape, Nd4j.createUninitialized(g.dataType(), shape)))[0];
    }

    private static long lengthOf(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    @Override
    public Var reshape(Var a, long... shape) {
        long[] as = a.shape();
        return unary(a, nd.reshape(a.value(), shape), g -> g.reshape('c', as));
    }

    @Override
    public Var permute(Var a, int... axes) {
        int r = a.shape().length;
        int[] inverse = new int[r];
        for (int i = 0; i < r; i++) inverse[Shapes.axis(axes[i], r)] = i;
        return unary(a, nd.permute(a.value(), axes), g -> g.permute(inverse));
    }

    @Override
    public Var concat(int axis, List<Var> parts) {
        if (parts.size() == 1) return parts.get(0);
        INDArray y = nd.concat(axis, parts.stream().map(Var::value).toList());
        int ax = Shapes.axis(axis, y.rank());
        Var[] inputs = parts.toArray(new Var[0]);
        return custom(inputs, new INDArray[] {y}, g -> {
            INDArray[] out = new INDArray[inputs.length];
            long from = 0;
            for (int i = 0; i < inputs.length; i++) {
                long to = from + inputs[i].value().size(ax);
                if (inputs[i].requiresGrad()) out[i] = nd.slice(g[0], ax, from, to);
                from = to;
            }
            return out;
        })[0];
    }

    @Override
    public Var slice(Var a, int axis, long from, long to) {
        long[] as = a.shape();
        int ax = Shapes.axis(axis, as.length);
        return unary(a, nd.slice(a.value(), axis, from, to), g -> {
            INDArray full = Nd4j.zeros(g.dataType(), as);
            INDArrayIndex[] idx = new INDArrayIndex[as.length];
            for (int i = 0; i < idx.length; i++) idx[i] = i == ax ? NDArrayIndex.interval(from, to) : NDArrayIndex.all();
            full.get(idx).assign(g);
            return full;
        });
    }

    @Override
    public Var oneHot(Var indices, int depth) {
        return new Var(nd.oneHot(indices.value(), depth), false);
    }

    @Override public Var stopGradient(Var a) { return new Var(a.value(), false); }
    @Override public INDArray value(Var x) { return x.value(); }

    @Override
    public Var gatherRows(Var a, INDArray index) {
        int[] flat = NdOps.flatRows(a.value(), index);
        return unary(a, NdOps.pickRows(a.value(), flat, index.size(1)), g -> scatterRows(g, flat, a.shape()));
    }

    /**
     * The backward of {@link #gatherRows}: g (N, M, X...) summed into rows of a zero (N, L, X...).
     * No scatter op (ND4J's is unreliable on duplicates): each source row lists the rows of g that
     * came from it, padded to the largest count with a row of zeros, and one pullRows + sum adds them.
     */
    private static INDArray scatterRows(INDArray g, int[] flat, long[] shape) {
        long width = g.length() / ((long) flat.length);
        int sources = (int) (shape[0] * shape[1]);
        int[] count = new int[sources];
        for (int f : flat) count[f]++;
        int most = 0;
        for (int c : count) most = Math.max(most, c);
        if (most == 0) return Nd4j.zeros(g.dataType(), shape);
        int zeroRow = flat.length;
        int[] table = new int[sources * most];
        java.util.Arrays.fill(table, zeroRow);
        int[] filled = new int[sources];
        for (int i = 0; i < flat.length; i++) table[flat[i] * most + filled[flat[i]]++] = i;
        INDArray rows = Nd4j.concat(0, g.dup('c').reshape('c', flat.length, width), Nd4j.zeros(g.dataType(), 1, width));
        INDArray summed = Nd4j.pullRows(rows, 1, table).reshape('c', sources, most, width).sum(1);
        return summed.reshape('c', shape);
    }

    @Override
    public Var cumsum(Var a, int axis, boolean exclusive) {
        int ax = Shapes.axis(axis, a.shape().length);
        // y_i = Σ_{j ≤ i} x_j  ⇒  dx_j = Σ_{i ≥ j} dy_i: the same sum taken from the other end
        return unary(a, nd.cumsum(a.value(), axis, exclusive), g -> Nd4j.exec(new CumSum(g, exclusive, true, ax))[0]);
    }

    @Override
    public Var dropout(Var a, double p) {
        if (dropoutRng == null || p == 0) return a;
        INDArray mask = new SdOps.DropoutSite("", a.shape(), p).mask(dropoutRng, a.value().dataType());
        return unary(a, a.value().mul(mask), g -> g.mul(mask));
    }

    /** Argument checks with the project's message form. */
}
