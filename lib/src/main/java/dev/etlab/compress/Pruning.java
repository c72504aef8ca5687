package dev.etlab.compress;

import dev.etlab.Check;
import dev.etlab.nn.ParamStore;
import dev.etlab.nn.TransformerModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Unstructured magnitude pruning (Han et al. 2015, https://arxiv.org/abs/1506.02626; Zhu and Gupta
 * 2017): the weights of smallest |w| are set to zero. It applies to the weight matrices of the
 * Transformer blocks (attention projections W_Q, W_K, W_V, W_O and the feed-forward W_1, W_2), not to
 * embeddings, biases, norms or the output head.
 *
 * <ul>
 *   <li>{@link Scope#GLOBAL}: one threshold over all those matrices together — a matrix with many
 *       small weights loses more of them;</li>
 *   <li>{@link Scope#PER_LAYER}: every matrix loses the same fraction.</li>
 * </ul>
 * Exactly ⌊sparsity · n⌋ weights are pruned (ties broken by position), so the sparsity is exact.
 * A zeroed weight saves nothing by itself: dense matrix products cost the same (see the notebook).
 */
public final class Pruning {
    private Pruning() {}

    /** Where the pruning threshold is chosen. */
    public enum Scope { GLOBAL, PER_LAYER }

    /** Whether a parameter is a prunable weight matrix (a block's attention or feed-forward weight). */
    public static boolean isPrunable(String name) {
        return name.matches("blocks\\.\\d+\\.(attn\\.w[qkvo]|ffn\\.w[12])");
    }

    /** Prunes {@code model} in place to {@code sparsity} ∈ [0, 1) and returns the mask (for the fine-tune). */
    public static PruningMask magnitude(TransformerModel model, double sparsity, Scope scope) {
        Check.arg(sparsity >= 0 && sparsity < 1, "sparsity", sparsity,
            "a fraction in [0, 1) of the weights to remove (1 would remove every weight)");
        Check.arg(scope != null, "scope", null, "GLOBAL or PER_LAYER");
        ParamStore store = model.params();
        Map<String, double[]> weights = new LinkedHashMap<>();
        for (ParamStore.Param p : store.all().values()) {
            if (isPrunable(p.name())) weights.put(p.name(), p.value().castTo(DataType.DOUBLE).dup('c').data().asDouble());
        }
        Check.arg(!weights.isEmpty(), "model", "a model without block weight matrices", "a Transformer with blocks");
        Map<String, INDArray> masks = new LinkedHashMap<>();
        if (scope == Scope.PER_LAYER) {
            weights.forEach((name, w) -> masks.put(name, mask(store.get(name), keepMask(List.of(w), sparsity).get(0))));
        } else {
            List<boolean[]> keep = keepMask(new ArrayList<>(weights.values()), sparsity);
            int i = 0;
            for (String name : weights.keySet()) masks.put(name, mask(store.get(name), keep.get(i++)));
        }
        PruningMask mask = new PruningMask(masks);
        mask.applyTo(store);
        return mask;
    }

    /** Keeps all but the ⌊sparsity · n⌋ smallest |w| over the given arrays together. */
    private static List<boolean[]> keepMask(List<double[]> arrays, double sparsity) {
        int n = arrays.stream().mapToInt(a -> a.length).sum();
        Integer[] idx = new Integer[n];
        double[] mag = new double[n];
        int k = 0;
        for (double[] a : arrays) for (double v : a) { mag[k] = Math.abs(v); idx[k] = k; k++; }
        Arrays.sort(idx, (x, y) -> mag[x] != mag[y] ? Double.compare(mag[x], mag[y]) : Integer.compare(x, y));
        boolean[] keepFlat = new boolean[n];
        Arrays.fill(keepFlat, true);
        int prune = (int) Math.floor(sparsity * n);
        for (int i = 0; i < prune; i++) keepFlat[idx[i]] = false;
        List<boolean[]> out = new ArrayList<>();
        int off = 0;
        for (double[] a : arrays) {
            out.add(Arrays.copyOfRange(keepFlat, off, off + a.length));
            off += a.length;
        }
        return out;
    }

    private static INDArray mask(INDArray like, boolean[] keep) {
        double[] m = new double[keep.length];
        for (int i = 0; i < m.length; i++) m[i] = keep[i] ? 1 : 0;
        return Nd4j.create(m, like.shape(), DataType.DOUBLE).castTo(like.dataType());
    }
}
