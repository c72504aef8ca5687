package dev.etlab.compress;

import dev.etlab.nn.ParamStore;
import dev.etlab.nn.TransformerModel;
import java.util.Collections;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@link TransformerModel} whose weight matrices were quantized to int8 ({@link Quantizer}): the
 * model (its parameter store holds the dequantized weights ŵ = s · q, so {@link TransformerModel#logits}
 * computes with the int8 weights in float32) and the int8 matrices themselves, which
 * {@link QuantizedCheckpoint} saves and {@link Int8Ops} multiplies with.
 */
public final class QuantizedModel {

    /**
     * One quantized parameter.
     *
     * @param transposed true for a linear weight W (Din, Dout), stored as Wᵀ (Dout rows); false for a table
     */
    public record Weight(String name, boolean transposed, Int8Matrix matrix) {
        /** ŵ in the parameter's own shape. */
        public INDArray dequantized(DataType type) {
            INDArray m = matrix.dequantize(type);
            return transposed ? m.transpose().dup('c') : m;
        }
    }

    private final TransformerModel model;
    private final Quantizer scheme;
    private final Map<String, Weight> weights;

    QuantizedModel(TransformerModel model, Quantizer scheme, Map<String, Weight> weights) {
        this.model = model;
        this.scheme = scheme;
        this.weights = Collections.unmodifiableMap(weights);
    }

    public TransformerModel model() { return model; }
    public Quantizer scheme() { return scheme; }
    public Map<String, Weight> weights() { return weights; }

    /** Bytes to store the model: int8 values and float32 scales of quantized matrices, 4 per other float. */
    public long storageBytes() {
        long bytes = 0;
        for (ParamStore.Param p : model.params().all().values()) {
            Weight w = weights.get(p.name());
            bytes += w != null ? w.matrix().storageBytes() : 4 * p.value().length();
        }
        return bytes;
    }

    /** Bytes to store a model's parameters as float32. */
    public static long float32Bytes(TransformerModel model) {
        long n = 0;
        for (ParamStore.Param p : model.params().all().values()) n += p.value().length();
        return 4 * n;
    }

    /** Logits with every linear layer computed by {@code kernel} (see {@link Int8Ops}). */
    public INDArray logits(INDArray tokens, Int8Ops.Kernel kernel) {
        model.checkTokens(tokens, null);
        return model.logits(new Int8Ops(this, kernel), tokens, null);
    }
}
