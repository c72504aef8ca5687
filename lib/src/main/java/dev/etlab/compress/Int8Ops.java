package dev.etlab.compress;

import dev.etlab.Check;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Eager operations ({@link NdOps}) in which every linear layer x · W whose W is a quantized weight
 * of a {@link QuantizedModel} runs on a chosen {@link Kernel}; every other operation (attention
 * scores, softmax, LayerNorm, GELU, the embedding lookup) is NdOps' own. The layers are unchanged:
 * they ask for {@code param(name)} and call {@code linear}, and this class recognises the weight.
 */
public final class Int8Ops implements Ops<INDArray> {

    /** How a quantized linear layer is computed. */
    public enum Kernel {
        /** ND4J's float32 matrix product (OpenBLAS) with the dequantized weights ŵ: the accuracy reference. */
        ND4J_FLOAT,
        /** The plain Java float32 kernel with ŵ ({@link Int8Kernels#matmulFloat}): int8's twin in float. */
        JAVA_FLOAT,
        /** int8 weights dequantized on the fly inside the loop, float32 activations ({@link Int8Kernels#matmulDequantized}). */
        INT8_WEIGHTS,
        /** Activations quantized per row / block at run time, int8 × int8 → int32 ({@link Int8Kernels#matmulInt8}). */
        INT8_INT8
    }

    private record Prepared(Int8Matrix int8, float[] floatTransposed) {}

    private final NdOps nd;
    private final Kernel kernel;
    private final Map<INDArray, Prepared> linearWeights = new IdentityHashMap<>();

    public Int8Ops(QuantizedModel model, Kernel kernel) {
        Check.arg(kernel != null, "kernel", null, "one of " + java.util.Arrays.toString(Kernel.values()));
        this.nd = NdOps.of(model.model().params(), model.model().params().dataType());
        this.kernel = kernel;
        for (QuantizedModel.Weight w : model.weights().values()) {
            if (!w.transposed()) continue; // tables are looked up, not multiplied
            float[] wt = kernel == Kernel.JAVA_FLOAT ? w.matrix().dequantizeToFloats() : null;
            linearWeights.put(model.model().params().get(w.name()), new Prepared(w.matrix(), wt));
        }
    }

    public Kernel kernel() { return kernel; }

    /** x (..., Din) · W (Din, Dout): the chosen kernel when W is a quantized weight, ND4J otherwise. */
    @Override
    public INDArray linear(INDArray x, INDArray w) {
        Prepared p = linearWeights.get(w);
        if (p == null || kernel == Kernel.ND4J_FLOAT) return Ops.super.linear(x, w);
        long[] xs = x.shape();
        int k = p.int8().cols(), m = p.int8().rows();
        Check.arg(xs[xs.length - 1] == k, "x", java.util.Arrays.toString(xs), "a last axis of " + k + " (the weight's inputs)");
        int n = Math.toIntExact(x.length() / k);
        float[] xf = x.castTo(DataType.FLOAT).dup('c').data().asFloat();   // (n, Din)
        float[] y = switch (kernel) {
            case JAVA_FLOAT -> Int8Kernels.matmulFloat(xf, n, p.floatTransposed(), m, k);
            case INT8_WEIGHTS -> Int8Kernels.matmulDequantized(xf, n, p.int8());
            case INT8_INT8 -> Int8Kernels.matmulInt8(Int8Matrix.quantize(xf, n, k, p.int8().blockSize()), p.int8());
            case ND4J_FLOAT -> throw new IllegalStateException("unreachable");
        };
        long[] out = xs.clone();
        out[out.length - 1] = m;
        return Nd4j.create(y, out, DataType.FLOAT).castTo(nd.dataType());  // (..., Dout)
    }

    // ---- everything else is NdOps'

    @Override public DataType dataType() { return nd.dataType(); }
    @Override public INDArray param(String name) { return nd.param(name); }
    @Override public INDArray constant(INDArray value) { return nd.constant(value); }
    @Override public long[] shape(INDArray x) { return nd.shape(x); }
    @Override public INDArray matmul(INDArray a, INDArray b, boolean ta, boolean tb) { return nd.matmul(a, b, ta, tb); }
    @Override public INDArray add(INDArray a, INDArray b) { return nd.add(a, b); }
    @Override public INDArray sub(INDArray a, INDArray b) { return nd.sub(a, b); }
    @Override public INDArray mul(INDArray a, INDArray b) { return nd.mul(a, b); }
    @Override public INDArray div(INDArray a, INDArray b) { return nd.div(a, b); }
    @Override public INDArray add(INDArray a, double s) { return nd.add(a, s); }
    @Override public INDArray mul(INDArray a, double s) { return nd.mul(a, s); }
    @Override public INDArray maximum(INDArray a, double s) { return nd.maximum(a, s); }
    @Override public INDArray neg(INDArray a) { return nd.neg(a); }
    @Override public INDArray exp(INDArray a) { return nd.exp(a); }
    @Override public INDArray log(INDArray a) { return nd.log(a); }
    @Override public INDArray sqrt(INDArray a) { return nd.sqrt(a); }
    @Override public INDArray square(INDArray a) { return nd.square(a); }
    @Override public INDArray tanh(INDArray a) { return nd.tanh(a); }
    @Override public INDArray sigmoid(INDArray a) { return nd.sigmoid(a); }
    @Override public INDArray relu(INDArray a) { return nd.relu(a); }
    @Override public INDArray rsqrt(INDArray a) { return nd.rsqrt(a); }
    @Override public INDArray abs(INDArray a) { return nd.abs(a); }
    @Override public INDArray softmax(INDArray a, int axis) { return nd.softmax(a, axis); }
    @Override public INDArray logSoftmax(INDArray a, int axis) { return nd.logSoftmax(a, axis); }
    @Override public INDArray gelu(INDArray x) { return nd.gelu(x); }                 // NdOps' fused float32 kernels
    @Override public INDArray layerNorm(INDArray x, INDArray gain, INDArray bias, double eps) { return nd.layerNorm(x, gain, bias, eps); }
    @Override public INDArray softmaxCrossEntropy(INDArray logits, INDArray targets) { return nd.softmaxCrossEntropy(logits, targets); }
    @Override public INDArray sum(INDArray a, boolean keepDims, int... axes) { return nd.sum(a, keepDims, axes); }
    @Override public INDArray mean(INDArray a, boolean keepDims, int... axes) { return nd.mean(a, keepDims, axes); }
    @Override public INDArray max(INDArray a, boolean keepDims, int... axes) { return nd.max(a, keepDims, axes); }
    @Override public INDArray reshape(INDArray a, long... shape) { return nd.reshape(a, shape); }
    @Override public INDArray permute(INDArray a, int... axes) { return nd.permute(a, axes); }
    @Override public INDArray concat(int axis, List<INDArray> parts) { return nd.concat(axis, parts); }
    @Override public INDArray slice(INDArray a, int axis, long from, long to) { return nd.slice(a, axis, from, to); }
    @Override public INDArray oneHot(INDArray indices, int depth) { return nd.oneHot(indices, depth); }
    @Override public INDArray stopGradient(INDArray a) { return nd.stopGradient(a); }
    @Override public INDArray value(INDArray x) { return nd.value(x); }
    @Override public INDArray gatherRows(INDArray a, INDArray index) { return nd.gatherRows(a, index); }
    @Override public INDArray cumsum(INDArray a, int axis, boolean exclusive) { return nd.cumsum(a, axis, exclusive); }
    @Override public INDArray dropout(INDArray a, double p) { return nd.dropout(a, p); }
}
