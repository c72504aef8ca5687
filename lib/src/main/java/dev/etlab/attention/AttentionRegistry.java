package dev.etlab.attention;

import java.util.List;

/**
 * Every mechanism in the lab with a default configuration, so tests, benchmarks and notebooks can
 * list them all. Defaults say where they come from.
 */
public final class AttentionRegistry {
    private AttentionRegistry() {}

    /** One registered mechanism. */
    public record Entry(String kind, String description, AttentionConfig defaults) {}

    public static List<Entry> all() {
        return List.of(
            new Entry("standard", "softmax(QKᵀ/√d)V, O(T²) time and memory (Vaswani et al. 2017)", new StandardAttention.Config()),
            new Entry("performer", "FAVOR+ positive orthogonal random features, O(T·m·d) (Choromanski et al. 2021)",
                Performer.Config.favor(64)),
            new Entry("linformer", "keys and values projected to length k along the sequence, O(T·k) (Wang et al. 2020)",
                Linformer.Config.of(32)),
            new Entry("logsparse", "causal: window + keys at distances 2^m, conv queries/keys (k = 3), O(T·log T) (Li et al. 2019)",
                LogSparse.Config.of(1, 3)));
    }

    public static Entry get(String kind) {
        return all().stream().filter(e -> e.kind().equals(kind)).findFirst().orElseThrow(() ->
            new IllegalArgumentException("attention kind = \"" + kind + "\": expected one of "
                + all().stream().map(Entry::kind).toList()));
    }
}
