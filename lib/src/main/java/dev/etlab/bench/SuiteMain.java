package dev.etlab.bench;

import dev.etlab.attention.AdaptiveSpan;
import dev.etlab.attention.AttentionConfig;
import dev.etlab.attention.DenseMaskAttention;
import dev.etlab.attention.ExactTiledAttention;
import dev.etlab.attention.Linformer;
import dev.etlab.attention.LogSparse;
import dev.etlab.attention.LshAttention;
import dev.etlab.attention.Longformer;
import dev.etlab.attention.Performer;
import dev.etlab.attention.RelativeAttention;
import dev.etlab.attention.SparseTransformer;
import dev.etlab.attention.StandardAttention;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The benchmark suites behind the closing tables of the paper notebooks: each paper's mechanism at
 * the settings its notebook discusses, beside standard attention and (for the sparse patterns) the
 * same pattern applied as a dense mask, in one run so the slopes compare like with like.
 *
 * <pre>
 * MALLOC_ARENA_MAX=1 java --add-modules=jdk.incubator.vector -Xmx2g -Dorg.nd4j.autodiff.samediff=false \
 *     -cp 'lib/target/etlab.jar:lib/target/dependency/*' dev.etlab.bench.SuiteMain \
 *     --suite sparse --from 1024 --to 32768 --cap 12g --out build/bench/sparse.csv
 * </pre>
 * {@code --suite linear}: standard, Performer (FAVOR+, m = 64), Linformer (k = 128, the paper's Table 3).
 * {@code --suite sparse}: standard, Longformer (w = 64 each side + a global [CLS]), Sparse Transformer
 * strided and fixed (l = ⌈√n⌉, causal), LogSparse (causal, k = 3), and the dense masks of
 * Longformer, strided and LogSparse. {@code --suite reformer}: standard and exact tiled (causal) beside LSH
 * attention with chunks of 64, 32 buckets, 1, 2 and 4 rounds. {@code --suite transformer-xl}: standard and exact tiled
 * (causal) beside Transformer-XL's relative attention on one segment (no memory). {@code --suite adaptive-span}: standard
 * and exact tiled beside adaptive span (S = 128, R = 32) untrimmed (z = 1) and with spans shrunk to z = 0.25. Every other option is {@link BenchmarkMain}'s ({@code --attention}
 * and {@code --label} excepted); default lengths 1024 … 32768.
 */
public final class SuiteMain {
    private SuiteMain() {}

    /** One entry of a suite: a label, a config, and whether it runs causally. */
    record Member(String label, AttentionConfig config, boolean causal) {}

    static final Map<String, List<Member>> SUITES = Map.of(
        "linear", List.of(
            new Member("standard", new StandardAttention.Config(), false),
            new Member("exact-tiled", new ExactTiledAttention.Config(), false),
            new Member("performer m=64", Performer.Config.favor(64), false),
            new Member("linformer k=128", Linformer.Config.of(128), false)),
        // the layers environment/bench/attention_side_by_side.py puts beside PyTorch's SDPA and lucidrains' packages
        "peers", List.of(
            new Member("standard", new StandardAttention.Config(), false),
            new Member("exact-tiled", new ExactTiledAttention.Config(), false),
            new Member("performer m=64", Performer.Config.favor(64), false),
            new Member("linformer k=128", Linformer.Config.of(128), false),
            new Member("longformer w=64", Longformer.Config.of(64), false)),
        "sparse", List.of(
            new Member("standard", new StandardAttention.Config(), false),
            new Member("exact-tiled", new ExactTiledAttention.Config(), false),
            new Member("longformer w=64", Longformer.Config.classifier(64), false),
            new Member("longformer w=64 (dense mask)", new DenseMaskAttention.Config(Longformer.Config.classifier(64)), false),
            new Member("sparse strided", SparseTransformer.Config.stridedSqrtLength(), true),
            new Member("sparse fixed", SparseTransformer.Config.fixedSqrtLength(2), true),
            new Member("sparse strided (dense mask)", new DenseMaskAttention.Config(SparseTransformer.Config.stridedSqrtLength()), true),
            new Member("logsparse k=3", LogSparse.Config.of(1, 3), true),
            new Member("logsparse k=3 (dense mask)", new DenseMaskAttention.Config(LogSparse.Config.of(1, 3)), true)),
        // notebook 06: LSH at the paper's chunk of 64 (cost O(T·c) per round whatever b; b = 32 buckets) and 1, 2, 4 rounds, causal (an LM)
        "reformer", List.of(
            new Member("standard", new StandardAttention.Config(), true),
            new Member("exact-tiled", new ExactTiledAttention.Config(), true),
            new Member("lsh 1 round", LshAttention.Config.of(32, 1, 64), true),
            new Member("lsh 2 rounds", LshAttention.Config.of(32, 2, 64), true),
            new Member("lsh 4 rounds", LshAttention.Config.of(32, 4, 64), true)),
        // notebook 05: Transformer-XL's relative attention on one segment (no memory: the Attention interface's form), causal,
        // i.e. what the (q+v)·W_R R term and the rel shift add to standard attention; the memory's effect is notebook 05's section 5
        "transformer-xl", List.of(
            new Member("standard", new StandardAttention.Config(), true),
            new Member("exact-tiled", new ExactTiledAttention.Config(), true),
            new Member("relative (Transformer-XL)", RelativeAttention.Config.paper(), true)),
        // notebook 04: a maximum span S = 128 (≤ the suite test's length), ramp R = 32, no penalty; untrimmed (z = 1)
        // against spans shrunk to z = 0.25 (a window of ⌊zS + R⌋ + 1 = 65 keys, rounded up to a multiple of 8)
        "adaptive-span", List.of(
            new Member("standard", new StandardAttention.Config(), true),
            new Member("exact-tiled", new ExactTiledAttention.Config(), true),
            new Member("adaptive span S=128 z=1", new AdaptiveSpan.Config(128, 32, 1.0, 0, 8, false), true),
            new Member("adaptive span S=128 z=0.25", new AdaptiveSpan.Config(128, 32, 0.25, 0, 8, false), true)));

    public static void main(String[] args) {
        String suite = null;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--suite") && i + 1 < args.length) suite = args[++i];
            else if (args[i].startsWith("--suite=")) suite = args[i].substring("--suite=".length());
            else rest.add(args[i]);
        }
        if (suite == null || !SUITES.containsKey(suite) || rest.stream().anyMatch(a -> a.startsWith("--attention") || a.startsWith("--label"))) {
            System.err.println("error: --suite = " + suite + ": expected one of " + SUITES.keySet().stream().sorted().toList()
                + " (and no --attention or --label: the suite picks the mechanisms)");
            System.err.println("Other options as for BenchmarkMain (--help there).");
            System.exit(2);
            return;
        }
        if (rest.stream().noneMatch(a -> a.startsWith("--from") || a.startsWith("--to") || a.startsWith("--lengths")))
            rest.addAll(List.of("--from", "1024", "--to", "32768"));   // the issues' range: 1K to at least 32K
        if (rest.stream().noneMatch(a -> a.startsWith("--out")))
            rest.addAll(List.of("--out", "build/bench/suite-" + suite + ".csv"));
        BenchmarkMain.Options o;
        try {
            o = BenchmarkMain.parse(rest.toArray(String[]::new));
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        List<AttentionBenchmark> benchmarks = benchmarks(suite, o);
        try {
            BenchmarkMain.run(o, benchmarks);
        } catch (IOException e) {
            System.err.println("error: cannot write " + o.out() + ": " + e.getMessage());
            System.exit(1);
        }
        System.exit(0);
    }

    /** The suite's benchmarks, each configured from the parsed options. */
    static List<AttentionBenchmark> benchmarks(String suite, BenchmarkMain.Options o) {
        return SUITES.get(suite).stream().map(m -> BenchmarkMain.configured(m.config(), m.label(), m.causal(), o)).toList();
    }
}
