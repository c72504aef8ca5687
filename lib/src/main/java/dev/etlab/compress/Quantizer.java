package dev.etlab.compress;

import dev.etlab.Check;
import dev.etlab.nn.ParamStore;
import dev.etlab.nn.TransformerModel;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Post-training int8 weight quantization of a {@link TransformerModel}, in place: every weight
 * matrix of a linear layer (attention projections, feed-forward, output head) and the embedding
 * tables are quantized ({@link Int8Matrix}) and their dequantized values ŵ = s · q written back into
 * the model's {@link ParamStore}, so the unchanged forward pass computes with exactly the int8
 * model's weights. Biases and LayerNorm gains stay float32 (they are a few hundred values).
 *
 * <p>A linear weight W (Din, Dout), used as x · W, is quantized as Wᵀ: one row per output channel,
 * blocks along Din, the dimension the product sums over, so that an int8 × int8 kernel can sum
 * whole blocks in int32. An embedding table (rows = tokens or positions) is quantized as stored.
 *
 * @param blockSize values per scale; 0 for one scale per row (per output channel)
 */
public record Quantizer(int blockSize) {

    /** Stores already quantized in this JVM (identity): quantizing one again is an error. */
    private static final Set<ParamStore> QUANTIZED = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    /** Q8_0's block size (llama.cpp, llama3.java). */
    public static final int Q8_0_BLOCK = 32;

    public Quantizer {
        Check.arg(blockSize >= 0, "blockSize", blockSize, "0 (one scale per row) or a positive block size such as 32");
    }

    /** One scale per row (per output channel). */
    public static Quantizer perRow() { return new Quantizer(0); }

    /** One scale per block of {@code blockSize} values along each row (Q8_0: 32). */
    public static Quantizer perBlock(int blockSize) {
        Check.positive("blockSize", blockSize);
        return new Quantizer(blockSize);
    }

    public String label() {
        return blockSize == 0 ? "int8 per-row" : "int8 per-block (" + blockSize + ")";
    }

    /** Whether a parameter is a linear layer's weight, used as x · W (quantized as Wᵀ). */
    public static boolean isLinearWeight(String name) {
        return name.equals("head.w") || name.matches("blocks\\.\\d+\\.(attn\\.w[qkvo]|ffn\\.w[12])");
    }

    /** Whether a parameter is an embedding table (token or learned position vectors, one per row). */
    public static boolean isTable(String name) {
        return name.equals("embed.weight") || name.equals("pos.weight");
    }

    /** Whether this model's parameters were quantized (by {@link #quantize} or loaded by {@link QuantizedCheckpoint}). */
    public static boolean isQuantized(TransformerModel model) {
        return QUANTIZED.contains(model.params());
    }

    /**
     * Quantizes {@code model} in place and returns the int8 matrices with it.
     *
     * @throws IllegalArgumentException if the model is already quantized, is not float32, or a row
     *     length is not a multiple of the block size
     */
    public QuantizedModel quantize(TransformerModel model) {
        Check.arg(!isQuantized(model), "model", "an already quantized model",
            "a float32 model that was not quantized before (quantizing ŵ again would compound the rounding; keep a copy of the float weights)");
        ParamStore store = model.params();
        Check.arg(store.dataType() == DataType.FLOAT, "model data type", store.dataType(), "FLOAT (int8 replaces float32 weights)");
        Map<String, QuantizedModel.Weight> weights = new LinkedHashMap<>();
        for (ParamStore.Param p : store.all().values()) {         // check every matrix before changing any
            boolean linear = isLinearWeight(p.name());
            if (!linear && !isTable(p.name())) continue;
            INDArray m = linear ? p.value().transpose() : p.value(); // (Dout, Din) for x · W
            int cols = Math.toIntExact(m.size(1));
            int bs = blockSize == 0 ? cols : blockSize;
            Check.arg(cols % bs == 0, "blockSize", blockSize, "a divisor of the row length " + cols + " of " + p.name()
                + (linear ? " (its input width)" : "") + "; per-row scaling (0) or a block size dividing every row length");
            weights.put(p.name(), new QuantizedModel.Weight(p.name(), linear, null));
        }
        weights.replaceAll((name, w) -> {
            INDArray v = store.get(name);
            INDArray m = w.transposed() ? v.transpose() : v;
            int bs = blockSize == 0 ? Math.toIntExact(m.size(1)) : blockSize;
            return new QuantizedModel.Weight(name, w.transposed(), Int8Matrix.quantize(m, bs));
        });
        weights.values().forEach(w -> store.assign(w.name(), w.dequantized(store.dataType())));
        QUANTIZED.add(store);
        return new QuantizedModel(model, this, weights);
    }

    /** Marks a store as holding quantized weights (a model loaded from a quantized checkpoint). */
    static void markQuantized(ParamStore store) {
        QUANTIZED.add(store);
    }
}
