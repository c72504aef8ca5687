package dev.etlab.speech;

/**
 * Which modules an {@link EncoderBlock} keeps: the whole Conformer block, or the paper's ablations of it
 * (Gulati et al. 2020, Section 3.4.1, Table 3: "conv + attention beats either alone") with one module removed
 * and everything else — macaron feed-forward halves, residuals, final LayerNorm — unchanged.
 */
public enum BlockKind {
    /** ½ FFN → MHSA (relative positions) → convolution module → ½ FFN → LayerNorm ({@link ConformerBlock}). */
    CONFORMER(true, true),
    /** The Conformer block without its convolution module: ½ FFN → MHSA → ½ FFN → LayerNorm. */
    ATTENTION_ONLY(true, false),
    /** The Conformer block without its self-attention module: ½ FFN → convolution module → ½ FFN → LayerNorm. */
    CONV_ONLY(false, true);

    private final boolean attention, convolution;

    BlockKind(boolean attention, boolean convolution) {
        this.attention = attention;
        this.convolution = convolution;
    }

    public boolean hasAttention() { return attention; }
    public boolean hasConvolution() { return convolution; }

    /** Lower-case name with dashes, for labels and tables: "conformer", "attention-only", "conv-only". */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
