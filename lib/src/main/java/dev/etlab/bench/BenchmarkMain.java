package dev.etlab.bench;

import dev.etlab.Check;
import dev.etlab.Lab;
import dev.etlab.attention.AttentionConfig;
import dev.etlab.attention.AttentionRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Command-line benchmark: times and peak memory of registered attention mechanisms over doubling
 * lengths, printed as a table with fitted log–log slopes and written as CSV ({@link BenchmarkCsv}).
 *
 * <p>From the repository root, after {@code mvn -q -B -DskipTests package}:
 * <pre>
 * MALLOC_ARENA_MAX=1 java --add-modules=jdk.incubator.vector -Xmx2g -Dorg.bytedeco.javacpp.cachedir=environment/.javacpp \
 *     -cp 'lib/target/etlab.jar:lib/target/dependency/*' dev.etlab.bench.BenchmarkMain \
 *     --attention standard --from 256 --to 16384 --modes forward,forward+backward --out build/bench/standard.csv
 * </pre>
 * or through Maven (compiles first; paths are relative to the repository root):
 * <pre>
 * mvn -q -B compile exec:exec -pl lib -Dbench.args="--attention standard --to 8192 --out build/bench/standard.csv"
 * </pre>
 * Each point runs in a fresh child JVM by default ({@code --isolation fresh}); children get
 * {@code MALLOC_ARENA_MAX=1}. {@code --help} lists every option. Under {@code ETLAB_QUICK=1} the
 * default lengths are 256 … 2048.
 */
public final class BenchmarkMain {
    private BenchmarkMain() {}

    static final String USAGE = """
        Usage: BenchmarkMain [options]
          Times and peak memory of attention mechanisms over sequence lengths, as a table, fitted
          log-log slopes, and a CSV file.

          --attention KIND[,KIND...]  registered mechanisms (default standard): %s
          --label NAME                name in the table and CSV (one mechanism only; default its kind)
          --from N --to N             lengths N, 2N, 4N, ... up to --to (default 256 .. 16384; 256 .. 2048 with ETLAB_QUICK=1)
          --lengths N,N,...           explicit lengths instead of --from/--to
          --batch N                   batch size B (default 1)
          --dmodel N                  model width D (default 64)
          --heads N                   heads H, a divisor of D (default 4)
          --causal true|false         causal (decoder) attention (default false)
          --modes LIST                forward, forward+backward or both, comma-separated (default both)
          --warmups N                 untimed runs per point (default 1)
          --repeats N                 timed runs per point; median and min reported (default 3)
          --seed N                    seed of parameters and inputs (default 42)
          --cap SIZE                  skip lengths predicted to peak above SIZE, e.g. 12g (default: half the RAM,
                                      at most 80%% of what is available, 1 GiB below an inherited
                                      -Dorg.bytedeco.javacpp.maxphysicalbytes)
          --time-budget SECONDS       skip longer lengths once a point takes longer than this (default none)
          --isolation fresh|series|in-process
                                      fresh JVM per point (default), one child JVM with memory tracking reset
                                      between points, or this JVM
          --out FILE                  CSV output (default build/bench/<mechanisms>.csv)
          --quiet                     no line per point
          --help                      this text

          Memory figures are peaks above each point's baseline: resident memory (all-inclusive), JVM heap,
          and ND4J's off-heap arrays. Child JVMs get this JVM's -Xmx and -Dorg.bytedeco.* options and
          MALLOC_ARENA_MAX=1.
        """;

    /** Parsed command line. */
    record Options(List<String> kinds, String label, List<Integer> lengths, int batch, int dModel, int heads, boolean causal,
                   List<Mode> modes, int warmups, int repeats, long seed, long capBytes, Duration timeBudget,
                   Isolation isolation, Path out, boolean quiet, boolean help) {}

    public static void main(String[] args) {
        Options options;
        List<AttentionBenchmark> benchmarks;
        try {
            options = parse(args);
            benchmarks = options.help() ? List.of() : benchmarks(options);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println("Run with --help for the options.");
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.print(usage());
            return;
        }
        try {
            run(options, benchmarks);
        } catch (IOException e) {
            System.err.println("error: cannot write " + options.out() + ": " + e.getMessage());
            System.exit(1);
        }
        System.exit(0); // ND4J's non-daemon threads must not keep the JVM alive
    }

    static String usage() {
        return USAGE.formatted(AttentionRegistry.all().stream().map(AttentionRegistry.Entry::kind).toList());
    }

    static void run(Options o, List<AttentionBenchmark> benchmarks) throws IOException {
        List<BenchmarkPoint> points = AttentionBenchmark.runAll(benchmarks.toArray(AttentionBenchmark[]::new));
        System.out.println();
        System.out.print(BenchmarkReport.table(points));
        System.out.println();
        System.out.print(BenchmarkReport.slopes(points));
        BenchmarkCsv.write(o.out(), points);
        System.out.println();
        System.out.println("Wrote " + o.out().toAbsolutePath());
    }

    /** One benchmark per mechanism, configured from the options. */
    static List<AttentionBenchmark> benchmarks(Options o) {
        List<AttentionBenchmark> out = new ArrayList<>();
        for (String kind : o.kinds()) out.add(configured(AttentionRegistry.get(kind).defaults(), o.label(), o.causal(), o));
        return out;
    }

    /**
     * A benchmark of {@code attention} with every setting the options carry, labelled {@code label}
     * (null: the default name), validated by {@link AttentionBenchmark#setup()} (e.g. causal with a
     * mechanism that has no causal form).
     */
    static AttentionBenchmark configured(AttentionConfig attention, String label, boolean causal, Options o) {
        AttentionBenchmark b = AttentionBenchmark.of(attention).dims(o.dModel(), o.heads()).batch(o.batch()).causal(causal)
            .lengths(o.lengths()).modes(o.modes().toArray(Mode[]::new)).warmups(o.warmups()).repeats(o.repeats()).seed(o.seed())
            .memoryCapBytes(o.capBytes()).timeBudget(o.timeBudget()).isolation(o.isolation());
        if (label != null) b.label(label);
        if (o.quiet()) b.quiet();
        b.setup();
        return b;
    }

    /** Parses the command line; throws {@link IllegalArgumentException} naming the bad option. */
    static Options parse(String[] args) {
        Map<String, String> v = new LinkedHashMap<>();
        boolean quiet = false;
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                help = true;
            } else if (a.equals("--quiet")) {
                quiet = true;
            } else if (a.startsWith("--")) {
                String key = a.substring(2);
                String value;
                int eq = key.indexOf('=');
                if (eq >= 0) {
                    value = key.substring(eq + 1);
                    key = key.substring(0, eq);
                } else {
                    Check.arg(i + 1 < args.length, "option --" + key, "(no value)", "a value after it");
                    value = args[++i];
                }
                Check.arg(KNOWN.contains(key), "option", "--" + key, "one of " + KNOWN.stream().map(k -> "--" + k).toList() + ", --quiet, --help");
                Check.arg(!v.containsKey(key), "option", "--" + key, "given once");
                v.put(key, value);
            } else {
                throw new IllegalArgumentException("argument = \"" + a + "\": expected an option starting with --");
            }
        }
        List<String> kinds = Arrays.stream(v.getOrDefault("attention", "standard").split(",")).map(String::strip).toList();
        kinds.forEach(AttentionRegistry::get);
        Check.arg(kinds.stream().distinct().count() == kinds.size(), "--attention", v.get("attention"), "each mechanism once");
        String label = v.get("label");
        Check.arg(label == null || kinds.size() == 1, "--label", label, "a single --attention mechanism to label");
        List<Integer> lengths;
        if (v.containsKey("lengths")) {
            Check.arg(!v.containsKey("from") && !v.containsKey("to"), "--lengths", v.get("lengths"), "not combined with --from/--to");
            lengths = Lengths.checked(Arrays.stream(v.get("lengths").split(",")).map(s -> integer("--lengths", s)).toList());
        } else {
            lengths = Lengths.doubling(integer("--from", v.getOrDefault("from", "256")),
                integer("--to", v.getOrDefault("to", Lab.quick() ? "2048" : "16384")));
        }
        List<Mode> modes = Arrays.stream(v.getOrDefault("modes", "forward,forward+backward").split(",")).map(Mode::parse).distinct().toList();
        Duration budget = v.containsKey("time-budget") ? Duration.ofMillis(Math.round(positiveNumber("--time-budget", v.get("time-budget")) * 1000)) : null;
        Isolation isolation = Isolation.parse(v.getOrDefault("isolation", "fresh"));
        long cap = v.containsKey("cap") ? Bytes.parse("--cap", v.get("cap")) : MemoryCap.defaultFor(isolation);
        Path out = Path.of(v.getOrDefault("out", "build/bench/" + String.join("-", kinds) + ".csv"));
        return new Options(kinds, label, lengths, integer("--batch", v.getOrDefault("batch", "1")),
            integer("--dmodel", v.getOrDefault("dmodel", "64")), integer("--heads", v.getOrDefault("heads", "4")),
            bool("--causal", v.getOrDefault("causal", "false")), modes, integer("--warmups", v.getOrDefault("warmups", "1")),
            integer("--repeats", v.getOrDefault("repeats", "3")), longValue("--seed", v.getOrDefault("seed", "42")), cap, budget,
            isolation, out, quiet, help);
    }

    private static final List<String> KNOWN = List.of("attention", "label", "from", "to", "lengths", "batch", "dmodel", "heads",
        "causal", "modes", "warmups", "repeats", "seed", "cap", "time-budget", "isolation", "out");

    private static int integer(String option, String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " = \"" + text + "\": expected an integer", e);
        }
    }

    private static long longValue(String option, String text) {
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " = \"" + text + "\": expected an integer", e);
        }
    }

    private static double positiveNumber(String option, String text) {
        try {
            double d = Double.parseDouble(text.strip());
            if (d > 0 && !Double.isInfinite(d)) return d;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(option + " = \"" + text + "\": expected a positive number of seconds");
    }

    private static boolean bool(String option, String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        Check.arg(t.equals("true") || t.equals("false"), option, text, "true or false");
        return t.equals("true");
    }
}
