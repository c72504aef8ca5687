package dev.etlab.attention;

import dev.etlab.Check;

/**
 * The sizes an attention layer is built for.
 *
 * @param dModel width D of the layer's input and output
 * @param heads  number of heads H; must divide D
 * @param maxLen longest sequence the layer accepts (some mechanisms size parameters by it)
 * @param causal whether position i may only attend to positions ≤ i (decoder) or to all (encoder)
 */
public record AttentionDims(int dModel, int heads, int maxLen, boolean causal) {
    public AttentionDims {
        Check.positive("dModel", dModel);
        Check.positive("heads", heads);
        Check.positive("maxLen", maxLen);
        Check.arg(dModel % heads == 0, "heads", heads, "a divisor of dModel = " + dModel);
    }

    /** Width of one head, Dh = D / H. */
    public int headDim() {
        return dModel / heads;
    }
}
