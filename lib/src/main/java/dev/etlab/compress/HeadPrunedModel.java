package dev.etlab.compress;

import dev.etlab.Check;
import dev.etlab.attention.AttentionDims;
import dev.etlab.nn.Embedding;
import dev.etlab.nn.FeedForward;
import dev.etlab.nn.Head;
import dev.etlab.nn.Init;
import dev.etlab.nn.LayerNorm;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.ParamStore;
import dev.etlab.nn.TransformerBlock;
import dev.etlab.nn.TransformerModel;
import dev.etlab.tensor.NdOps;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A language model with attention heads physically removed: layer l keeps H_l heads, its W_Q, W_K,
 * W_V are (D, H_l·Dh), W_O is (H_l·Dh, D), and its attention runs with H_l heads — smaller matrix
 * products, unlike zeroed weights. Inference only (eager); built from a trained model and a keep
 * table ({@link HeadPruning}). With every head kept it computes exactly what the model computes.
 */
public final class HeadPrunedModel {
    private final ModelConfig config;
    private final ParamStore params;
    private final boolean[][] keep;
    private final List<TransformerBlock> blocks = new ArrayList<>();

    private HeadPrunedModel(ModelConfig config, ParamStore params, boolean[][] keep) {
        this.config = config;
        this.params = params;
        this.keep = keep;
        int dh = config.dModel() / config.heads();
        for (int l = 0; l < config.layers(); l++) {
            String p = "blocks." + l + ".";
            int h = countKept(keep[l]);
            var attention = config.attention().build(new AttentionDims(h * dh, h, config.maxLen(), config.head().causal()));
            blocks.add(new TransformerBlock(p, attention, new FeedForward(p + "ffn.", config.dModel(), config.dFf(), config.feedForwardChunks()), 0.0));
        }
    }

    /** Copies {@code model}'s weights without the pruned heads' slices. */
    public static HeadPrunedModel of(TransformerModel model, boolean[][] keep) {
        HeadPruning.checkKeep(model, keep);
        ModelConfig c = model.config();
        Check.arg(c.head() == Head.CAUSAL_LM, "model head", c.head(), "CAUSAL_LM (head pruning's physical removal is built for language models)");
        Check.arg(!c.reversible(), "model reversible", true, "false (head pruning's physical removal runs ordinary residual blocks)");
        for (String name : model.params().all().keySet()) {
            Check.arg(!name.matches("blocks\\.\\d+\\.attn\\..*") || name.matches("blocks\\.\\d+\\.attn\\.[wb][qkvo]"), "model attention",
                c.attention().kind() + " (with parameter " + name + ")",
                "a mechanism whose only parameters are the projections W_Q, W_K, W_V, W_O and their biases (their head slices are what is removed)");
        }
        int dh = c.dModel() / c.heads();
        ParamStore store = new ParamStore(model.params().dataType(), 0);
        for (ParamStore.Param p : model.params().all().values()) {
            INDArray v = p.value();
            String name = p.name();
            if (name.matches("blocks\\.\\d+\\.attn\\..*")) {
                int l = Integer.parseInt(name.split("\\.")[1]);
                long[] idx = keptIndices(keep[l], dh);
                String w = name.substring(name.lastIndexOf('.') + 1);
                v = switch (w) {
                    case "wq", "wk", "wv" -> v.get(NDArrayIndex.all(), NDArrayIndex.indices(idx));  // (D, H_l·Dh)
                    case "bq", "bk", "bv" -> v.get(NDArrayIndex.indices(idx));                       // (H_l·Dh)
                    case "wo" -> v.get(NDArrayIndex.indices(idx), NDArrayIndex.all());                 // (H_l·Dh, D)
                    default -> v;
                };
            }
            INDArray copy = v.dup('c');
            store.declare(name, Init.zeros(), copy.shape());
            store.assign(name, copy);
        }
        boolean[][] k = new boolean[keep.length][];
        for (int l = 0; l < keep.length; l++) k[l] = keep[l].clone();
        return new HeadPrunedModel(c, store, k);
    }

    public ModelConfig config() { return config; }
    public ParamStore params() { return params; }

    /** Heads kept in layer l. */
    public int heads(int layer) { return countKept(keep[layer]); }

    /** Number of parameters (the pruned slices are gone). */
    public long parameterCount() {
        long n = 0;
        for (ParamStore.Param p : params.all().values()) n += p.value().length();
        return n;
    }

    /** tokens (B, T) → (B, T, V) next-token logits, as {@link TransformerModel#logits} with fewer heads. */
    public INDArray logits(INDArray tokens) {
        Check.rank("tokens", tokens, 2, "(batch, length)");
        Check.arg(tokens.size(1) <= config.maxLen(), "sequence length", tokens.size(1), "at most maxLen = " + config.maxLen());
        NdOps ops = NdOps.of(params, params.dataType());
        INDArray x = new Embedding("embed.", config.vocabSize(), config.dModel()).apply(ops, tokens);  // (B, T, D)
        x = config.positions().apply(ops, "pos.", x);
        for (TransformerBlock block : blocks) x = block.apply(ops, x, null);
        x = new LayerNorm("final_norm.", config.dModel()).apply(ops, x);
        return ops.linear(x, ops.param("head.w"), ops.param("head.b"));
    }

    private static int countKept(boolean[] keep) {
        int n = 0;
        for (boolean k : keep) if (k) n++;
        return n;
    }

    private static long[] keptIndices(boolean[] keep, int dh) {
        long[] idx = new long[countKept(keep) * dh];
        int i = 0;
        for (int h = 0; h < keep.length; h++) if (keep[h]) for (int j = 0; j < dh; j++) idx[i++] = (long) h * dh + j;
        return idx;
    }

}
