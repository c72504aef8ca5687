package dev.etlab.nn;

import dev.etlab.tensor.Ops;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.ArrayList;
import java.util.List;

/**
 * Position-wise feed-forward network: FFN(x) = GELU(x W1 + b1) W2 + b2 (Vaswani et al. 2017, Eq. 2, with GELU).
 *
 * <p>With {@code chunks} > 1 it runs on that many slices of the sequence, one after the other (the
 * Reformer's chunked feed-forward, Kitaev et al. 2020, Section 3): the FFN is position-wise, so the result
 * is the same, while the (B, T, F) hidden layer exists a slice at a time. On the training tape each slice
 * is checkpointed (its hidden layer recomputed in the backward pass), so the saving holds for training too.
 */
public record FeedForward(String prefix, int dModel, int dFf, int chunks) {

    public FeedForward {
        dev.etlab.Check.positive("chunks", chunks);
    }

    public FeedForward(String prefix, int dModel, int dFf) {
        this(prefix, dModel, dFf, 1);
    }

    public void declare(ParamStore store) {
        store.declare(prefix + "w1", Init.xavier(), dModel, dFf);
        store.declare(prefix + "b1", Init.zeros(), dFf);
        store.declare(prefix + "w2", Init.xavier(), dFf, dModel);
        store.declare(prefix + "b2", Init.zeros(), dModel);
    }

    /** x (B, T, D) → (B, T, D). */
    @SuppressWarnings("unchecked")
    public <T> T apply(Ops<T> ops, T x) {
        long length = ops.size(x, 1);
        if (chunks == 1 || length == 1) return whole(ops, x);
        long slice = (length + chunks - 1) / chunks;                      // the last slice may be shorter
        List<T> parts = new ArrayList<>();
        for (long from = 0; from < length; from += slice) {
            T part = ops.slice(x, 1, from, Math.min(length, from + slice));
            parts.add(ops instanceof TapeOps tape
                ? (T) tape.checkpoint((inner, in) -> whole(inner, in[0]), (Var) part)
                : whole(ops, part));
        }
        return ops.concat(1, parts);
    }

    private <T> T whole(Ops<T> ops, T x) {
        T hidden = ops.gelu(ops.linear(x, ops.param(prefix + "w1"), ops.param(prefix + "b1"))); // (B, T, F)
        return ops.linear(hidden, ops.param(prefix + "w2"), ops.param(prefix + "b2"));
    }
}
