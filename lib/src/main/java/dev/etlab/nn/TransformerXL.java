package dev.etlab.nn;

import dev.etlab.Check;
import dev.etlab.attention.RelativeAttention;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.StepMemory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * A Transformer-XL language model (Dai et al. 2019, https://arxiv.org/abs/1901.02860): embedding (no absolute
 * positions) → N pre-LN blocks with {@link RelativeAttention} → final LayerNorm → next-token logits.
 *
 * <p>Segment-level recurrence (Section 3.2): each block takes, besides the segment's states h (B, T, D), a
 * {@link Memory} of that layer's states from earlier segments, m (B, M, D), as extra keys and values:
 * <pre>
 * h̃ = [SG(m) ∘ h],   q = h W_q,   k = h̃ W_k,   v = h̃ W_v
 * </pre>
 * Stop-gradient comes from the memory being plain arrays, constants to the training tape. After a segment,
 * {@link #nextMemory} keeps the last M states of [m ∘ h] of each layer. The blocks normalise before attention,
 * so the memory holds each block's input and is normalised with it.
 */
public final class TransformerXL {

    /**
     * Each layer's kept states, one (B, M', D) array per layer (M' ≤ the memory length), outside any
     * workspace; {@link #none()} before the first segment.
     */
    public record Memory(List<INDArray> layers) {
        public Memory {
            layers = List.copyOf(layers);
        }

        public static Memory none() {
            return new Memory(List.of());
        }

        public boolean isEmpty() {
            return layers.isEmpty();
        }

        /** M', the number of kept positions (0 when empty). */
        public long length() {
            return isEmpty() ? 0 : layers.get(0).size(1);
        }
    }

    /** Logits (B, T, V) and every layer's input states (B, T, D), the memory's raw material. */
    public record Output<T>(T logits, List<T> hiddens) {}

    /** One eager segment: logits (B, T, V) and the memory for the next segment. */
    public record Step(INDArray logits, Memory memory) {}

    private record Block(String prefix, LayerNorm ln1, RelativeAttention attention, LayerNorm ln2, FeedForward ffn) {}

    private final TransformerXLConfig config;
    private final ParamStore params;
    private final Embedding embedding;
    private final List<Block> blocks = new ArrayList<>();
    private final LayerNorm finalNorm;

    private TransformerXL(TransformerXLConfig config, ParamStore params) {
        this.config = config;
        this.params = params;
        this.embedding = new Embedding("embed.", config.vocabSize(), config.dModel());
        embedding.declare(params);
        for (int i = 0; i < config.layers(); i++) {
            String p = "blocks." + i + ".";
            Block b = new Block(p, new LayerNorm(p + "ln1.", config.dModel()), new RelativeAttention(config.attention(), config.attentionDims()),
                new LayerNorm(p + "ln2.", config.dModel()), new FeedForward(p + "ffn.", config.dModel(), config.dFf()));
            b.ln1().declare(params);
            b.attention().declare(params, p + "attn.");
            b.ln2().declare(params);
            b.ffn().declare(params);
            blocks.add(b);
        }
        this.finalNorm = new LayerNorm("final_norm.", config.dModel());
        finalNorm.declare(params);
        params.declare("head.w", Init.xavier(), config.dModel(), config.vocabSize());
        params.declare("head.b", Init.zeros(), config.vocabSize());
    }

    /** A float32 model with weights drawn from {@code seed}. */
    public static TransformerXL create(TransformerXLConfig config, long seed) {
        return create(config, seed, DataType.FLOAT);
    }

    public static TransformerXL create(TransformerXLConfig config, long seed, DataType type) {
        Check.arg(config != null, "config", null, "a TransformerXLConfig, e.g. TransformerXLConfig.languageModel(V, L, M)");
        return new TransformerXL(config, new ParamStore(type, seed));
    }

    public TransformerXLConfig config() { return config; }
    public ParamStore params() { return params; }

    /**
     * @param tokens (B, T) integer ids
     * @param memory one (B, M, D) tensor per layer, constants (stop-gradient), or null / empty for no memory
     */
    public <T> Output<T> forward(Ops<T> ops, T tokens, List<T> memory) {
        boolean withMemory = memory != null && !memory.isEmpty();
        T h = ops.dropout(embedding.apply(ops, tokens), config.dropout());                   // (B, T, D), no absolute positions
        List<T> hiddens = new ArrayList<>();
        for (int l = 0; l < blocks.size(); l++) {
            Block b = blocks.get(l);
            hiddens.add(h);
            T mem = withMemory ? b.ln1().apply(ops, memory.get(l)) : null;                    // (B, M, D)
            T attended = b.attention().apply(ops, b.prefix() + "attn.", b.ln1().apply(ops, h), mem, null); // Section 3.2
            h = ops.add(h, ops.dropout(attended, config.dropout()));
            h = ops.add(h, ops.dropout(b.ffn().apply(ops, b.ln2().apply(ops, h)), config.dropout()));
        }
        T logits = ops.linear(finalNorm.apply(ops, h), ops.param("head.w"), ops.param("head.b")); // (B, T, V)
        return new Output<>(logits, hiddens);
    }

    /**
     * One segment, eagerly, with input checks: logits, and the memory for the next segment keeping at most
     * {@code memoryLength} states per layer (the training memory {@link TransformerXLConfig#memoryLength}, or a
     * longer one at evaluation).
     */
    public Step step(INDArray tokens, Memory memory, int memoryLength) {
        checkTokens(tokens);
        Check.arg(memoryLength >= 0, "memoryLength", memoryLength, "0 (no memory) or a positive number of kept states");
        checkMemory(memory, tokens.size(0));
        Output<INDArray> out = forward(NdOps.of(params, params.dataType()), tokens, memory.isEmpty() ? null : memory.layers());
        return new Step(out.logits(), nextMemory(memory, out.hiddens(), memoryLength));
    }

    /** As {@link #step(INDArray, Memory, int)} with the training memory length. */
    public Step step(INDArray tokens, Memory memory) {
        return step(tokens, memory, config.memoryLength());
    }

    /**
     * The last {@code memoryLength} states of [old ∘ hidden] per layer, copied outside any workspace
     * (the stop-gradient SG(·) of Section 3.2: plain values, no tape).
     */
    public static Memory nextMemory(Memory old, List<INDArray> hiddens, int memoryLength) {
        Check.arg(memoryLength >= 0, "memoryLength", memoryLength, "0 (no memory) or a positive number of kept states");
        if (memoryLength == 0) return Memory.none();
        Check.arg(old.isEmpty() || old.layers().size() == hiddens.size(), "memory", old.layers().size() + " layers",
            hiddens.size() + " layers, one per block");
        return StepMemory.outside(() -> {
            List<INDArray> kept = new ArrayList<>();
            for (int l = 0; l < hiddens.size(); l++) {
                INDArray h = hiddens.get(l);
                INDArray all = old.isEmpty() ? h : Nd4j.concat(1, old.layers().get(l), h);    // (B, M'+T, D)
                long n = all.size(1), from = Math.max(0, n - memoryLength);
                kept.add(all.get(NDArrayIndex.all(), NDArrayIndex.interval(from, n), NDArrayIndex.all()).dup('c'));
            }
            return new Memory(kept);
        });
    }

    /** Rank 2 integer ids, at least one item and position, length ≤ segmentLength, ids in [0, V). */
    public void checkTokens(INDArray tokens) {
        Check.rank("tokens", tokens, 2, "(batch, segment length)");
        Check.arg(!tokens.dataType().isFPType(), "tokens", "array of type " + tokens.dataType(), "integer token ids");
        Check.arg(tokens.size(0) > 0 && tokens.size(1) > 0, "tokens", "array of shape " + Arrays.toString(tokens.shape()),
            "at least one batch item and one position (batch ≥ 1, length ≥ 1)");
        Check.arg(tokens.size(1) <= config.segmentLength(), "segment length", tokens.size(1),
            "at most segmentLength = " + config.segmentLength() + " (longer text goes in as several segments)");
        boolean outOfRange = BooleanIndexing.or(tokens, Conditions.lessThan(0))
            || BooleanIndexing.or(tokens, Conditions.greaterThanOrEqual(config.vocabSize()));
        Check.arg(!outOfRange, "tokens", "ids from " + tokens.minNumber().longValue() + " to " + tokens.maxNumber().longValue(),
            "ids in [0, vocabSize = " + config.vocabSize() + ")");
    }

    /** One (batch, M', D) array per layer, all of one length, the parameters' data type, finite. */
    public void checkMemory(Memory memory, long batch) {
        Check.arg(memory != null, "memory", null, "a Memory (Memory.none() before the first segment)");
        if (memory.isEmpty()) return;
        Check.arg(memory.layers().size() == blocks.size(), "memory", memory.layers().size() + " layers", blocks.size() + ", one per block");
        for (INDArray m : memory.layers()) {
            Check.rank("memory", m, 3, "(batch, memory length, dModel)");
            Check.arg(m.size(0) == batch && m.size(1) == memory.length() && m.size(2) == config.dModel(), "memory",
                "array of shape " + Arrays.toString(m.shape()),
                "shape (" + batch + ", " + memory.length() + ", " + config.dModel() + "): the tokens' batch, one length for all layers, dModel");
            Check.arg(m.dataType() == params.dataType(), "memory", "array of type " + m.dataType(), "the parameters' " + params.dataType());
            Check.finite("memory", m);
        }
    }
}
