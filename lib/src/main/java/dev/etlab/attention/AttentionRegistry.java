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
            new Entry("exact-tiled", "exact softmax attention by 256 x 256 tiles with online softmax and a recomputing backward, "
                + "O(T²) time, O(T) memory (Rabe & Staats 2021; Dao et al. 2022)", new ExactTiledAttention.Config()),
            new Entry("performer", "FAVOR+ positive orthogonal random features, O(T·m·d) (Choromanski et al. 2021)",
                Performer.Config.favor(64)),
            new Entry("linformer", "keys and values projected to length k along the sequence, O(T·k) (Wang et al. 2020)",
                Linformer.Config.of(32)),
            // w = 4 and a global [CLS] at 0: windows span several chunks even in the 8-token contract tests; tasks pick their own w
            new Entry("longformer", "sliding window of w keys each side, by chunks, plus global tokens, O(T·(w+G)) (Beltagy et al. 2020)",
                Longformer.Config.classifier(4)),
            // the fixed (text) pattern: in one layer every query reaches the summaries of all blocks; c/l = 2/32 at n = 1024, the paper's 8/128
            new Entry("sparse transformer", "fixed factorized attention, blocks of l = ⌈√n⌉ plus c = 2 summary positions of every block, "
                + "O(n√n) (Child et al. 2019)", SparseTransformer.Config.fixedSqrtLength(2)),
            new Entry("logsparse", "causal: window + keys at distances 2^m, conv queries/keys (k = 3), O(T·log T) (Li et al. 2019)",
                LogSparse.Config.of(1, 3)),
            // chunks of 4 and 4 buckets: several chunks per round even in the 16-token contract tests; tasks size their own
            new Entry("lsh", "Reformer: shared-QK attention within angular-LSH buckets, sorted and chunked (c = 4, b = 4, 2 rounds), "
                + "O(T·c) per round (Kitaev et al. 2020)", LshAttention.Config.of(4, 2, 4)),
            // S = 8 fits the 8-token gradient checks; z = 0.3 (zS = 2.4, R = 2) keeps the mask off its kinks and trims to 5 keys
            new Entry("adaptive-span", "causal: a learned span z·S per head, soft mask with a ramp of R, keys trimmed to the longest "
                + "span, O(T·L) (Sukhbaatar et al. 2019)", new AdaptiveSpan.Config(8, 2, 0.3, 5e-7, 1, false)),
            new Entry("relative", "Transformer-XL: (q+u)·k + (q+v)·W_R R(i−j) with sinusoidal R, u and v shared across layers, "
                + "rel shift; causal, a memory of earlier states in TransformerXL, O(T·(M+T)) (Dai et al. 2019)", RelativeAttention.Config.paper()),
            // K = 3 and 2 kernel groups fit the contract tests' D = 16 (C = 8); tasks pick their own K
            new Entry("lsra", "Lite Transformer: half the channels through multi-head attention (global), half through a GLU + lightweight "
                + "convolution (local, softmax-normalised kernel shared per group), concatenated; O(T²·D/2 + T·K·D/2) (Wu et al. 2020)",
                new LongShortRangeAttention.Config(3, 2)));
    }

    public static Entry get(String kind) {
        return all().stream().filter(e -> e.kind().equals(kind)).findFirst().orElseThrow(() ->
            new IllegalArgumentException("attention kind = \"" + kind + "\": expected one of "
                + all().stream().map(Entry::kind).toList()));
    }
}
