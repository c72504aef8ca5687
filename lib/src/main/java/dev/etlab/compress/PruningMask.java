package dev.etlab.compress;

import dev.etlab.Check;
import dev.etlab.nn.ParamStore;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Which weights a pruning removed: parameter name → a 0/1 array of its shape (1 keeps the weight).
 * Applied to the weights it zeroes them; applied to the gradients of a fine-tune
 * ({@link dev.etlab.train.Trainer#onGradients}) it keeps them zero — with zero gradients from the first
 * step AdamW's moments stay zero and so does the update, weight decay included (λ · 0 = 0).
 */
public record PruningMask(Map<String, INDArray> masks) {

    public PruningMask {
        Check.arg(masks != null, "masks", null, "a map from parameter name to a 0/1 array");
        masks = Collections.unmodifiableMap(new LinkedHashMap<>(masks));
    }

    /** w ← w ⊙ m for every masked parameter of {@code store} (+0 where pruned: −w · 0 = −0, and −0 + 0 = +0). */
    public void applyTo(ParamStore store) {
        masks.forEach((name, m) -> store.get(name).muli(m.castTo(store.get(name).dataType())).addi(0.0));
    }

    /** g ← g ⊙ m for every masked parameter that has a gradient. */
    public void maskGradients(Map<String, INDArray> gradients) {
        masks.forEach((name, m) -> {
            INDArray g = gradients.get(name);
            if (g != null) g.muli(m.castTo(g.dataType()));
        });
    }

    /** Fraction of the masked parameters' values that are pruned (mask 0). */
    public double sparsity() {
        long total = 0;
        double kept = 0;
        for (INDArray m : masks.values()) {
            total += m.length();
            kept += m.sumNumber().doubleValue();
        }
        return total == 0 ? 0 : 1 - kept / total;
    }

    /** Fraction of a store's masked parameters that are exactly zero (what a fine-tune must preserve). */
    public double zeroFraction(ParamStore store) {
        long total = 0, zeros = 0;
        for (String name : masks.keySet()) {
            INDArray w = store.get(name);
            total += w.length();
            zeros += w.length() - w.neq(0).castTo(org.nd4j.linalg.api.buffer.DataType.INT).sumNumber().longValue();
        }
        return total == 0 ? 0 : zeros / (double) total;
    }

    /** Whether every pruned weight (mask 0) of {@code store} is exactly zero. */
    public boolean holdsIn(ParamStore store) {
        for (Map.Entry<String, INDArray> e : masks.entrySet()) {
            INDArray pruned = e.getValue().castTo(store.get(e.getKey()).dataType()).rsub(1);   // 1 where pruned
            if (store.get(e.getKey()).mul(pruned).amaxNumber().doubleValue() != 0) return false;
        }
        return true;
    }
}
