package dev.etlab.bench;

import dev.etlab.Check;
import dev.etlab.attention.AttentionConfig;
import dev.etlab.attention.AttentionDims;

/**
 * What every point of one benchmark shares: the mechanism, the layer's sizes and how each point is
 * timed. It travels to child JVMs as one text line ({@link dev.etlab.io.ConfigCodec}).
 *
 * @param attention the mechanism and its parameters; the layer is built per length with maxLen = T
 * @param label     name in tables and plots (a variant such as "longformer (dense mask)" gets its own)
 * @param dModel    model width D
 * @param heads     heads H, a divisor of D
 * @param batch     batch size B
 * @param causal    decoder (causal) attention instead of bidirectional
 * @param warmups   untimed runs before the timed ones (JIT compilation, first-touch of memory)
 * @param repeats   timed runs; the point reports their median and minimum
 * @param seed      seeds parameters, input and the backward pass's output weights
 */
public record BenchmarkSetup(AttentionConfig attention, String label, int dModel, int heads, int batch, boolean causal,
                             int warmups, int repeats, long seed) {
    public BenchmarkSetup {
        Check.arg(attention != null, "attention", null, "an attention config");
        Check.arg(label != null && !label.isBlank() && !label.contains("\n") && !label.contains("; ") && !label.contains("\""),
            "label", label, "a non-blank name without newlines, quotes or \"; \"");
        new AttentionDims(dModel, heads, 1, causal); // checks D > 0, H > 0, H divides D
        Check.positive("batch", batch);
        Check.arg(warmups >= 0, "warmups", warmups, "zero or more");
        Check.positive("repeats", repeats);
        Check.arg(!causal || attention.supportsCausal(), "causal", true, "false: " + attention.kind() + " has no causal form");
    }

    /** The sizes the layer is built with at sequence length {@code length}. */
    public AttentionDims dimsAt(int length) {
        return new AttentionDims(dModel, heads, length, causal);
    }
}
