package dev.etlab.nn;

import dev.etlab.Check;
import dev.etlab.attention.Attention;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * A Transformer built from a {@link ModelConfig}: embedding + positions → N pre-LN blocks → final
 * LayerNorm → head (next-token logits or class logits). Parameters live in a {@link ParamStore}.
 */
public final class TransformerModel {
    private final ModelConfig config;
    private final ParamStore params;
    private final Embedding embedding;
    private final List<TransformerBlock> blocks = new ArrayList<>();
    private final LayerNorm finalNorm;
    /** Tests switch this off to train a reversible model with every activation kept, the reference its recompute must match. */
    boolean recomputeReversible = true;

    private TransformerModel(ModelConfig config, ParamStore params) {
        this.config = config;
        this.params = params;
        this.embedding = new Embedding("embed.", config.vocabSize(), config.dModel());
        for (int i = 0; i < config.layers(); i++) {
            String p = "blocks." + i + ".";
            Attention attention = config.attention().build(config.attentionDims());
            blocks.add(new TransformerBlock(p, attention, new FeedForward(p + "ffn.", config.dModel(), config.dFf(), config.feedForwardChunks()), config.dropout()));
        }
        this.finalNorm = new LayerNorm("final_norm.", config.dModel());
        embedding.declare(params);
        config.positions().declare(params, "pos.", config.maxLen(), config.dModel());
        blocks.forEach(b -> b.declare(params));
        finalNorm.declare(params);
        params.declare("head.w", Init.xavier(), config.dModel(), outputs());
        params.declare("head.b", Init.zeros(), outputs());
    }

    /** A float32 model with weights drawn from {@code seed}. */
    public static TransformerModel create(ModelConfig config, long seed) {
        return create(config, seed, DataType.FLOAT);
    }

    public static TransformerModel create(ModelConfig config, long seed, DataType type) {
        return new TransformerModel(config, new ParamStore(type, seed));
    }

    public ModelConfig config() { return config; }
    public ParamStore params() { return params; }
    public List<TransformerBlock> blocks() { return List.copyOf(blocks); }

    /** Width of the output: V for a language model, C for a classifier. */
    public int outputs() {
        return config.head() == Head.CAUSAL_LM ? config.vocabSize() : config.numClasses();
    }

    /**
     * @param tokens  (B, T) integer ids
     * @param padMask (B, T) 1 for tokens, 0 for padding; or null
     * @return (B, T, V) next-token logits, or (B, C) class logits
     */
    public <T> T logits(Ops<T> ops, T tokens, T padMask) {
        T x = embedding.apply(ops, tokens);                              // (B, T, D)
        x = ops.dropout(config.positions().apply(ops, "pos.", x), config.dropout());
        if (config.reversible()) {
            // both streams start as the embedding; their mean goes on (reformer-pytorch averages them too)
            List<T> streams = new ReversibleStack(blocks.stream().map(b -> b.reversible(padMask)).toList(), recomputeReversible)
                .apply(ops, x, x);
            x = ops.mul(ops.add(streams.get(0), streams.get(1)), 0.5);
        } else {
            for (TransformerBlock block : blocks) x = block.apply(ops, x, padMask);
        }
        x = finalNorm.apply(ops, x);
        if (config.head() == Head.CLASSIFIER) x = pool(ops, x, padMask); // (B, D)
        return ops.linear(x, ops.param("head.w"), ops.param("head.b"));
    }

    private <T> T pool(Ops<T> ops, T x, T padMask) {
        long[] s = ops.shape(x);
        if (config.pooling() == Pooling.FIRST) return ops.reshape(ops.slice(x, 1, 0, 1), s[0], s[2]);
        if (padMask == null) return ops.mean(x, false, 1);
        T m = ops.reshape(padMask, s[0], s[1], 1);
        return ops.div(ops.sum(ops.mul(x, m), false, 1), ops.sum(m, false, 1));
    }

    /**
     * Eager logits with input checks ({@link #checkTokens}). A pad mask of any numeric data type is
     * accepted and cast to the parameters' data type before use.
     */
    public INDArray logits(INDArray tokens, INDArray padMask) {
        checkTokens(tokens, padMask);
        return logits(NdOps.of(params, params.dataType()), tokens, castMask(padMask));
    }

    private INDArray castMask(INDArray padMask) {
        return padMask == null || padMask.dataType() == params.dataType() ? padMask : padMask.castTo(params.dataType());
    }

    public INDArray logits(INDArray tokens) {
        return logits(tokens, null);
    }

    /** Attention probabilities of every layer for one forward pass: name → (B, H, T, T) (mechanisms that form them). */
    public Map<String, INDArray> attentionMaps(INDArray tokens, INDArray padMask) {
        checkTokens(tokens, padMask);
        NdOps ops = NdOps.recording(params, params.dataType());
        logits(ops, tokens, castMask(padMask));
        Map<String, INDArray> maps = new LinkedHashMap<>();
        ops.recorded().forEach((k, v) -> { if (k.endsWith("probs")) maps.put(k, v); });
        return maps;
    }

    /**
     * Validates a batch of token ids: rank, at least one batch item and one position, length ≤ maxLen,
     * ids in [0, V); and the pad mask, if any: the tokens' shape, a numeric type, only 0 and 1, and at
     * least one token (a 1) in every row — a fully padded item has nothing to attend to or pool over.
     */
    public void checkTokens(INDArray tokens, INDArray padMask) {
        Check.rank("tokens", tokens, 2, "(batch, length)");
        Check.arg(!tokens.dataType().isFPType(), "tokens", "array of type " + tokens.dataType(), "integer token ids");
        Check.arg(tokens.size(0) > 0 && tokens.size(1) > 0, "tokens", "array of shape " + java.util.Arrays.toString(tokens.shape()),
            "at least one batch item and one position (batch ≥ 1, length ≥ 1)");
        Check.arg(tokens.size(1) <= config.maxLen(), "sequence length", tokens.size(1), "at most maxLen = " + config.maxLen());
        if (tokens.length() > 0) {
            boolean outOfRange = BooleanIndexing.or(tokens, Conditions.lessThan(0))
                || BooleanIndexing.or(tokens, Conditions.greaterThanOrEqual(config.vocabSize()));
            Check.arg(!outOfRange, "tokens", "ids from " + tokens.minNumber().longValue() + " to " + tokens.maxNumber().longValue(),
                "ids in [0, vocabSize = " + config.vocabSize() + ")");
        }
        if (padMask != null) {
            Check.arg(java.util.Arrays.equals(padMask.shape(), tokens.shape()), "padMask",
                "array of shape " + java.util.Arrays.toString(padMask.shape()), "the tokens' shape " + java.util.Arrays.toString(tokens.shape()));
            Check.mask("padMask", padMask);
        }
    }
}
