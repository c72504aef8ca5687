package dev.etlab.bench;

import dev.etlab.Check;
import dev.etlab.attention.AttentionConfig;
import dev.etlab.attention.AttentionRegistry;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Time and peak memory of one attention mechanism over a range of sequence lengths: the builder
 * notebooks and {@link BenchmarkMain} use.
 *
 * <pre>{@code
 * List<BenchmarkPoint> points = AttentionBenchmark.of(new StandardAttention.Config())
 *     .dims(64, 4).batch(1)
 *     .lengths(Lab.pick(Lengths.doubling(256, 2048), Lengths.doubling(256, 16384)))
 *     .run();
 * Table table = BenchmarkTable.of(points);
 * }</pre>
 *
 * <p>Each point builds the layer at length T (maxLen = T) with float32 parameters, a random input
 * (B, T, D) and, for {@link Mode#FORWARD_BACKWARD}, a fixed random output weighting R;
 * none of that is timed. It then runs {@code warmups} untimed and {@code repeats} timed passes,
 * collecting garbage (untimed) before each, and reports the median and fastest pass and the peak
 * memory above the baseline taken before the build (see {@link BenchmarkPoint}).
 *
 * <p>Lengths run in ascending order, every mode at one length before the next length. Before a
 * point runs, its peak memory is predicted from the shorter lengths already measured; a point
 * predicted to exceed the memory cap, or following a shorter length that failed or exceeded the
 * time budget, is recorded as skipped with the reason instead of being run.
 *
 * <p>Defaults: D = 64, H = 4, B = 1, bidirectional, T = 256 … 16384, both modes, 1 warm-up, 3
 * repeats, seed 42, cap {@link MemoryCap#defaultFor}, no time budget, {@link Isolation#SERIES},
 * one progress line per point on {@code System.out}.
 */
public final class AttentionBenchmark {
    private final AttentionConfig attention;
    private String label;
    private int dModel = 64;
    private int heads = 4;
    private int batch = 1;
    private boolean causal;
    private List<Integer> lengths = Lengths.doubling(256, 16384);
    private List<Mode> modes = List.of(Mode.FORWARD, Mode.FORWARD_BACKWARD);
    private int warmups = 1;
    private int repeats = 3;
    private long seed = 42;
    private long memoryCapBytes;
    private Duration timeBudget;
    private Isolation isolation = Isolation.SERIES;
    private Duration pointTimeout = Duration.ofMinutes(30);
    private Consumer<BenchmarkPoint> progress = p -> System.out.println(p.summary());
    private final List<String> childJvmOptions = new ArrayList<>();
    private final Map<String, String> childEnvironment = new LinkedHashMap<>();
    private boolean echoChildOutput;
    private boolean quiet;

    private AttentionBenchmark(AttentionConfig attention) {
        this.attention = Objects.requireNonNull(attention, "attention");
    }

    /** A benchmark of this mechanism with the defaults of the class comment. */
    public static AttentionBenchmark of(AttentionConfig attention) {
        Check.arg(attention != null, "attention", null, "an attention config");
        return new AttentionBenchmark(attention);
    }

    /** A benchmark of a registered mechanism with its default parameters, e.g. {@code of("standard")}. */
    public static AttentionBenchmark of(String kind) {
        return of(AttentionRegistry.get(kind).defaults());
    }

    /** Name in tables and plots; default the mechanism's kind, with " (causal)" when causal. */
    public AttentionBenchmark label(String label) {
        Check.arg(label != null && !label.isBlank(), "label", label, "a non-blank name");
        this.label = label;
        return this;
    }

    /** Model width D and heads H (H must divide D). */
    public AttentionBenchmark dims(int dModel, int heads) {
        new dev.etlab.attention.AttentionDims(dModel, heads, 1, false);
        this.dModel = dModel;
        this.heads = heads;
        return this;
    }

    public AttentionBenchmark batch(int batch) {
        this.batch = Check.positive("batch", batch);
        return this;
    }

    /** Causal (decoder) attention instead of bidirectional. */
    public AttentionBenchmark causal(boolean causal) {
        Check.arg(!causal || attention.supportsCausal(), "causal", true, "false: " + attention.kind() + " has no causal form");
        this.causal = causal;
        return this;
    }

    /** The lengths to measure (any order; run ascending). */
    public AttentionBenchmark lengths(int... lengths) {
        this.lengths = Lengths.of(lengths);
        return this;
    }

    /** The lengths to measure, e.g. {@code Lengths.doubling(256, 16384)}. */
    public AttentionBenchmark lengths(List<Integer> lengths) {
        this.lengths = Lengths.checked(lengths);
        return this;
    }

    public AttentionBenchmark modes(Mode... modes) {
        Check.arg(modes != null && modes.length > 0 && Arrays.stream(modes).noneMatch(Objects::isNull), "modes",
            modes == null ? null : Arrays.asList(modes), "at least one mode");
        this.modes = Arrays.stream(modes).distinct().toList();
        return this;
    }

    /** Untimed runs before the timed ones (default 1). */
    public AttentionBenchmark warmups(int warmups) {
        Check.arg(warmups >= 0, "warmups", warmups, "zero or more");
        this.warmups = warmups;
        return this;
    }

    /** Timed runs per point (default 3); the point reports their median and minimum. */
    public AttentionBenchmark repeats(int repeats) {
        this.repeats = Check.positive("repeats", repeats);
        return this;
    }

    public AttentionBenchmark seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** Points predicted to peak above this many bytes (above their baseline) are skipped. */
    public AttentionBenchmark memoryCapBytes(long bytes) {
        Check.arg(bytes > 0, "memoryCapBytes", bytes, "a positive number of bytes");
        this.memoryCapBytes = bytes;
        return this;
    }

    /**
     * Once a point takes longer than this (estimated as its median × (warm-ups + repeats)), longer
     * lengths of that mode are skipped. Null for no budget (the default).
     */
    public AttentionBenchmark timeBudget(Duration perPoint) {
        Check.arg(perPoint == null || (!perPoint.isNegative() && !perPoint.isZero()), "timeBudget", perPoint, "a positive duration or null");
        this.timeBudget = perPoint;
        return this;
    }

    public AttentionBenchmark isolation(Isolation isolation) {
        Check.arg(isolation != null, "isolation", null, "one of " + Arrays.toString(Isolation.values()));
        this.isolation = isolation;
        return this;
    }

    /** A child that does not answer within this time is killed and its point skipped (default 30 min). */
    public AttentionBenchmark pointTimeout(Duration timeout) {
        Check.arg(timeout != null && !timeout.isNegative() && !timeout.isZero(), "pointTimeout", timeout, "a positive duration");
        this.pointTimeout = timeout;
        return this;
    }

    /** Called with each point as it finishes (default: one line on System.out). */
    public AttentionBenchmark progress(Consumer<BenchmarkPoint> listener) {
        Check.arg(listener != null, "progress", null, "a listener (use quiet() for none)");
        this.progress = listener;
        this.quiet = false;
        return this;
    }

    /** No progress output (no header line, no line per point). */
    public AttentionBenchmark quiet() {
        this.progress = p -> {};
        this.quiet = true;
        return this;
    }

    /** An extra option for child JVMs (after the ones copied from this JVM), e.g. {@code -Xmx2g}. */
    public AttentionBenchmark childJvmOption(String option) {
        Check.arg(option != null && option.startsWith("-"), "childJvmOption", option, "a JVM option starting with -");
        childJvmOptions.add(option);
        return this;
    }

    /** An environment variable for child JVMs, e.g. {@code MALLOC_MMAP_THRESHOLD_}. */
    public AttentionBenchmark childEnvironment(String name, String value) {
        Check.arg(name != null && name.matches("[A-Za-z_][A-Za-z0-9_]*"), "childEnvironment name", name, "a variable name");
        Check.arg(value != null, "childEnvironment value", null, "a value");
        childEnvironment.put(name, value);
        return this;
    }

    /** Copies what child JVMs print (ND4J's logging, say) to System.err, prefixed with [child]. */
    public AttentionBenchmark echoChildOutput(boolean echo) {
        this.echoChildOutput = echo;
        return this;
    }

    /** The shared settings of every point, as they travel to child JVMs. */
    public BenchmarkSetup setup() {
        String name = label != null ? label : attention.kind() + (causal ? " (causal)" : "");
        return new BenchmarkSetup(attention, name, dModel, heads, batch, causal, warmups, repeats, seed);
    }

    /** The memory cap this benchmark uses: the one set, else {@link MemoryCap#defaultFor} its isolation. */
    public long memoryCapBytes() {
        return memoryCapBytes > 0 ? memoryCapBytes : MemoryCap.defaultFor(isolation);
    }

    public Isolation isolation() {
        return isolation;
    }

    /** One line saying what will run. */
    public String describe() {
        return describe(memoryCapBytes());
    }

    private String describe(long cap) {
        BenchmarkSetup s = setup();
        return String.format(java.util.Locale.ROOT, "%s: %s at T = %s, B=%d D=%d H=%d %s, %d warm-up(s) + %d timed, %s, memory cap %s%s",
            s.label(), modes.stream().map(Mode::label).toList(), lengths, batch, dModel, heads, causal ? "causal" : "bidirectional",
            warmups, repeats, isolation.label(), Bytes.format(cap),
            timeBudget == null ? "" : ", time budget " + timeBudget.toSeconds() + " s per point");
    }

    /** Runs every point and returns them in run order, skipped ones included. */
    public List<BenchmarkPoint> run() {
        return runAll(this);
    }

    /**
     * Runs several benchmarks one after another and returns all their points in one list (for one
     * plot). Benchmarks in {@link Isolation#SERIES} with the same child settings share one child JVM.
     */
    public static List<BenchmarkPoint> runAll(AttentionBenchmark... benchmarks) {
        Check.arg(benchmarks != null && benchmarks.length > 0, "benchmarks", benchmarks == null ? null : 0, "at least one benchmark");
        List<BenchmarkPoint> all = new ArrayList<>();
        Map<List<Object>, PointExecutor> executors = new LinkedHashMap<>();
        try {
            for (AttentionBenchmark b : benchmarks) {
                BenchmarkSetup setup = b.setup();
                long cap = b.memoryCapBytes();
                PointExecutor executor = executors.computeIfAbsent(b.executorKey(cap), k -> b.executor(cap));
                if (!b.quiet) System.out.println("Benchmark " + b.describe(cap));
                Sweep sweep = new Sweep(executor, new SkipRules(cap, b.timeBudget), b.progress);
                all.addAll(sweep.run(setup, b.lengths, b.modes));
            }
        } finally {
            executors.values().forEach(PointExecutor::close);
        }
        return all;
    }

    private List<Object> executorKey(long cap) {
        return isolation == Isolation.SERIES
            ? List.of(isolation, List.copyOf(childJvmOptions), Map.copyOf(childEnvironment), pointTimeout, cap, echoChildOutput)
            : List.of(new Object()); // never shared
    }

    private PointExecutor executor(long cap) {
        if (isolation == Isolation.IN_PROCESS) return PointExecutor.inProcess();
        ChildJvm jvm = ChildJvm.ofThisJvm(childJvmOptions, childEnvironment, nativeGuard(cap) + MemoryCap.CHILD_BASELINE_MIB * Bytes.MIB);
        PrintStream echo = echoChildOutput ? System.err : null;
        return new ChildJvmExecutor(jvm, isolation == Isolation.FRESH_PROCESS, nativeGuard(cap), pointTimeout, echo);
    }

    /** libnd4j's allocation limit in children: a quarter above the cap, behind the cap's predictions. */
    static long nativeGuard(long cap) {
        return cap > Long.MAX_VALUE / 2 ? 0 : cap + cap / 4;
    }
}
