package dev.etlab.compress;

import dev.etlab.Check;
import dev.etlab.nn.ParamStore;
import dev.etlab.nn.TransformerModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Structured pruning of attention heads (Michel et al. 2019, "Are Sixteen Heads Really Better than
 * One?", https://arxiv.org/abs/1905.10650): a head is removed by zeroing its slice of W_Q, W_K, W_V
 * (columns h·Dh … (h+1)·Dh − 1) and of their biases, and its rows of W_O, so it contributes nothing
 * to MultiHead(X) = Concat(head_1, …, head_H) W_O. {@link HeadPrunedModel} then drops those slices
 * for real, which makes the matrix products smaller.
 *
 * <p>A keep table is {@code keep[layer][head]}; every layer must keep at least one head.
 */
public final class HeadPruning {
    private HeadPruning() {}

    private static final String[] IN = {"wq", "wk", "wv"};

    /** Zeroes the pruned heads of {@code model} in place; returns the mask that keeps them zero in a fine-tune. */
    public static PruningMask mask(TransformerModel model, boolean[][] keep) {
        checkKeep(model, keep);
        ParamStore store = model.params();
        int heads = model.config().heads(), dh = model.config().dModel() / heads;
        Map<String, INDArray> masks = new LinkedHashMap<>();
        for (int l = 0; l < keep.length; l++) {
            String p = "blocks." + l + ".attn.";
            for (String w : IN) {
                INDArray mw = store.get(p + w).ulike().assign(1);                 // (D, D): columns of heads
                INDArray mb = store.get(p + "b" + w.charAt(1)).ulike().assign(1); // (D)
                for (int h = 0; h < heads; h++) {
                    if (keep[l][h]) continue;
                    mw.get(NDArrayIndex.all(), NDArrayIndex.interval(h * dh, (h + 1) * dh)).assign(0);
                    mb.get(NDArrayIndex.interval(h * dh, (h + 1) * dh)).assign(0);
                }
                masks.put(p + w, mw);
                masks.put(p + "b" + w.charAt(1), mb);
            }
            INDArray mo = store.get(p + "wo").ulike().assign(1);                   // (D, D): rows of heads
            for (int h = 0; h < heads; h++) if (!keep[l][h]) mo.get(NDArrayIndex.interval(h * dh, (h + 1) * dh), NDArrayIndex.all()).assign(0);
            masks.put(p + "wo", mo);
        }
        PruningMask mask = new PruningMask(masks);
        mask.applyTo(store);
        return mask;
    }

    /**
     * Prunes the {@code count} heads of lowest importance over all layers together (Michel et al.,
     * a global ranking of normalised scores), skipping a head that is the last one left in
     * its layer.
     *
     * @param importance {@code [layer][head]} scores, e.g. {@link HeadImportance#scores}
     */
    public static boolean[][] keepMostImportant(double[][] importance, int count) {
        Check.arg(importance != null && importance.length > 0, "importance", null, "a [layer][head] table of scores");
        int layers = importance.length, heads = importance[0].length;
        Check.arg(count >= 0 && count <= layers * (heads - 1), "count", count,
            "0 to " + layers * (heads - 1) + " heads to prune (every layer keeps at least one of its " + heads + ")");
        boolean[][] keep = new boolean[layers][heads];
        int[] left = new int[layers];
        List<int[]> order = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            Check.arg(importance[l].length == heads, "importance[" + l + "]", importance[l].length + " scores", heads + ", as layer 0");
            java.util.Arrays.fill(keep[l], true);
            left[l] = heads;
            for (int h = 0; h < heads; h++) order.add(new int[] {l, h});
        }
        order.sort((a, b) -> Double.compare(importance[a[0]][a[1]], importance[b[0]][b[1]]));
        int pruned = 0;
        for (int[] lh : order) {
            if (pruned == count) break;
            if (left[lh[0]] == 1) continue;
            keep[lh[0]][lh[1]] = false;
            left[lh[0]]--;
            pruned++;
        }
        return keep;
    }

    /** Number of heads kept. */
    public static int kept(boolean[][] keep) {
        int n = 0;
        for (boolean[] layer : keep) for (boolean k : layer) if (k) n++;
        return n;
    }

    /** Checks a keep table against a model: its shape, every layer keeps a head, a multi-head mechanism. */
    static void checkKeep(TransformerModel model, boolean[][] keep) {
        int layers = model.config().layers(), heads = model.config().heads();
        Check.arg(keep != null && keep.length == layers, "keep", keep == null ? null : keep.length + " layers", layers + " layers, one row per layer");
        for (int l = 0; l < layers; l++) {
            Check.arg(keep[l] != null && keep[l].length == heads, "keep[" + l + "]", keep[l] == null ? null : keep[l].length + " heads", heads + " heads");
            boolean any = false;
            for (boolean k : keep[l]) any |= k;
            Check.arg(any, "keep[" + l + "]", "no head kept in layer " + l,
                "at least one head per layer (pruning every head of a layer removes its attention; the residual alone would pass x through)");
            for (String w : new String[] {"wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo"}) {
                Check.arg(model.params().contains("blocks." + l + ".attn." + w), "model attention", model.config().attention().kind(),
                    "a multi-head mechanism with projections W_Q, W_K, W_V, W_O (blocks." + l + ".attn." + w + " is missing)");
            }
        }
    }
}
