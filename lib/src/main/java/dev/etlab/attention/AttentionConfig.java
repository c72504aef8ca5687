package dev.etlab.attention;

/**
 * Which attention mechanism a model uses, with that mechanism's own parameters. Each mechanism
 * defines its config as a record nested in its own file; adding a mechanism means one new file
 * plus its case here and in {@link AttentionRegistry}.
 */
public sealed interface AttentionConfig permits StandardAttention.Config, DenseMaskAttention.Config, Performer.Config, Linformer.Config,
    Longformer.Config, SparseTransformer.Config, LogSparse.Config, ExactTiledAttention.Config,
    LshAttention.Config, AdaptiveSpan.Config, RelativeAttention.Config, LongShortRangeAttention.Config {

    /** Short name used in tables, legends and checkpoints, e.g. {@code "standard"}. */
    String kind();

    /** Whether the mechanism has a causal (decoder) form. */
    default boolean supportsCausal() {
        return true;
    }

    /** Whether the mechanism has a bidirectional (encoder) form; causal-only mechanisms say false. */
    default boolean supportsBidirectional() {
        return true;
    }

    /**
     * Whether the mechanism needs values while it runs (it hashes or sorts its inputs), so it runs on
     * the eager engines only: the training tape and {@code NdOps}, not a SameDiff graph.
     */
    default boolean needsEagerEngine() {
        return false;
    }

    /** Builds the layer; throws if the dims ask for something the mechanism cannot do. */
    Attention build(AttentionDims dims);
}
