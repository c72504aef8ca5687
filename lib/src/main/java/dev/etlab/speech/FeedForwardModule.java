package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.nn.Init;
import dev.etlab.nn.LayerNorm;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;

/**
 * The Conformer's feed-forward module (Gulati et al. 2020, Section 2.3, Figure 4): LayerNorm → linear
 * (D → F, F = 4D in the paper) → Swish → dropout → linear (F → D) → dropout. The residual, halved, is the
 * block's ({@link ConformerBlock}).
 */
public record FeedForwardModule(String prefix, int dModel, int dFf, double dropout) {

    public FeedForwardModule {
        Check.positive("dModel", dModel);
        Check.positive("dFf", dFf);
        Check.probability("dropout", dropout);
    }

    public LayerNorm norm() { return new LayerNorm(prefix + "ln.", dModel); }

    public void declare(ParamStore store) {
        norm().declare(store);
        store.declare(prefix + "w1", Init.xavier(), dModel, dFf);
        store.declare(prefix + "b1", Init.zeros(), dFf);
        store.declare(prefix + "w2", Init.xavier(), dFf, dModel);
        store.declare(prefix + "b2", Init.zeros(), dModel);
    }

    /** x (B, T, D) → (B, T, D), without the residual. */
    public <T> T apply(Ops<T> ops, T x) {
        Frames.check(ops, x, dModel);
        T hidden = Swish.apply(ops, ops.linear(norm().apply(ops, x), ops.param(prefix + "w1"), ops.param(prefix + "b1"))); // (B, T, F)
        T out = ops.linear(ops.dropout(hidden, dropout), ops.param(prefix + "w2"), ops.param(prefix + "b2"));
        return ops.dropout(out, dropout);
    }
}
