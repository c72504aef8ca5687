package dev.etlab.bench;

import dev.etlab.Check;
import dev.etlab.Lab;
import dev.etlab.nn.Losses;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.TransformerModel;
import dev.etlab.tensor.SdOps;
import dev.etlab.tensor.StepMemory;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import dev.etlab.train.AdamW;
import dev.etlab.train.TrainConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Time per training step of notebook 00's model (2 pre-LN layers, D = 64, 4 heads, F = 256, GELU,
 * vocabulary 85: 111,061 parameters; AdamW with clipping), on both engines in one run: the eager
 * tape ({@link TapeOps}, what trains) and the SameDiff graph (the engine before it). Each phase is
 * timed on its own: forward, backward (SameDiff: forward and backward together, it has no
 * separate backward call), clipping + AdamW. Reports the first step (graph build, JIT) apart and the
 * median of the steps after the warm-up. Random token batches: the cost of a step does not depend on
 * the data. {@code environment/bench/torch_train.py} times the same model in PyTorch.
 *
 * <pre>
 * java --add-modules=jdk.incubator.vector -cp lib/target/etlab.jar:lib/target/dependency/* dev.etlab.bench.TrainBenchmark [--sizes 128x16,512x8]
 *      [--steps 60] [--warmup 10] [--engines tape,samediff] [--attention standard] [--rounds 1]
 * </pre>
 * {@code --engines tape-unfused} is the tape with LayerNorm, GELU and the loss on their ND4J twins (the Vector API
 * kernels of {@code dev.etlab.tensor.VectorKernels} off, attention unchanged); {@code --rounds R} runs the engines
 * R times in turn (A, B, A, B, ...) in one process, for comparisons on a busy machine; {@code --engines tape-alternating}
 * trains one model whose steps alternate between the two (reported as {@code tape} and {@code tape-unfused}).
 * {@code --attention} takes a registry kind with its defaults: {@code exact-tiled} is the same softmax attention
 * computed by tiles (on the Vector API kernel when the JVM loads it), {@code standard} the naive (T × T) layer.
 */
public final class TrainBenchmark {
    static final int VOCAB = 85;

    /** One engine at one size: first step and medians per phase, in milliseconds. */
    public record Result(String engine, int length, int batch, long parameters, double firstStepMs, double stepMs,
                         double forwardMs, double backwardMs, double optimizerMs, double lastLoss) {}

    private TrainBenchmark() {}

    public static void main(String[] args) {
        Map<String, String> opts = options(args);
        List<int[]> sizes = new ArrayList<>();
        for (String s : opts.getOrDefault("sizes", "128x16,512x8").split(",")) {
            String[] tb = s.split("x");
            Check.arg(tb.length == 2, "--sizes entry", s, "LENGTHxBATCH, e.g. 128x16");
            sizes.add(new int[] {Integer.parseInt(tb[0].trim()), Integer.parseInt(tb[1].trim())});
        }
        int steps = Integer.parseInt(opts.getOrDefault("steps", "60"));
        int warmup = Integer.parseInt(opts.getOrDefault("warmup", "10"));
        List<String> engines = Arrays.asList(opts.getOrDefault("engines", "tape,samediff").split(","));
        String attention = opts.getOrDefault("attention", "standard");
        Lab.init();
        System.out.println(dev.etlab.Backend.report());
        List<Result> results = new ArrayList<>();
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "1"));
        for (int[] tb : sizes) {
            for (int round = 0; round < rounds; round++) {
                for (String engine : engines) {
                    List<Result> rs = engine.trim().equals("tape-alternating") ? runAlternating(tb[0], tb[1], steps, warmup, attention)
                        : List.of(run(engine.trim(), tb[0], tb[1], steps, warmup, attention));
                    for (Result r : rs) {
                        results.add(r);
                        System.out.println(format(r));
                        System.out.println(json(r));
                    }
                }
            }
        }
        System.out.println();
        System.out.println(table(results, warmup, steps));
    }

    /** Trains {@code steps} steps of the notebook-00 model on one engine and times them. */
    public static Result run(String engine, int length, int batch, int steps, int warmup) {
        return run(engine, length, batch, steps, warmup, "standard");
    }

    /** As {@link #run(String, int, int, int, int)} with the model's attention a registry kind (its defaults). */
    public static Result run(String engine, int length, int batch, int steps, int warmup, String attention) {
        Check.arg(steps > warmup, "steps", steps, "more than the warm-up (" + warmup + ")");
        Training run = Training.of(length, batch, steps, attention);
        TransformerModel model = run.model();
        TrainConfig train = run.train();
        AdamW adam = run.adam();
        Random data = run.data();
        Engine e = switch (engine) {
            case "tape" -> new Tape(model, true);
            case "tape-noworkspace" -> new Tape(model, false);
            case "tape-unfused" -> new Unfused(new Tape(model, true));
            case "samediff" -> new Graph(model, batch, length);
            default -> throw new IllegalArgumentException("engine = " + engine + ": expected tape, tape-unfused or samediff");
        };
        double[] total = new double[steps], fwd = new double[steps], bwd = new double[steps], opt = new double[steps];
        double loss = Double.NaN;
        for (int s = 0; s < steps; s++) {
            INDArray tokens = randomTokens(data, batch, length), targets = randomTokens(data, batch, length);
            int step = s;
            long[] t = new long[3];
            double[] phases = e.inWorkspace() ? StepMemory.run("etlab-train-benchmark", () -> timedStep(e, tokens, targets, adam, train, step, t))
                : timedStep(e, tokens, targets, adam, train, step, t);
            long t1 = t[1], t2 = t[2], t0 = t[0];
            loss = phases[2];
            fwd[s] = phases[0];
            bwd[s] = phases[1];
            opt[s] = (t2 - t1) / 1e6;
            total[s] = (t2 - t0) / 1e6;
        }
        return new Result(engine, length, batch, model.params().trainableCount(), total[0], median(total, warmup),
            median(fwd, warmup), median(bwd, warmup), median(opt, warmup), loss);
    }

    /**
     * One model on the tape, steps alternating between the fused kernels (even steps, reported as {@code tape}) and
     * their ND4J twins (odd steps, {@code tape-unfused}): the fairest comparison on a machine whose load changes.
     */
    public static List<Result> runAlternating(int length, int batch, int steps, int warmup, String attention) {
        Check.arg(steps > warmup + 2, "steps", steps, "more than the warm-up (" + warmup + ") + 2");
        Training run = Training.of(length, batch, steps, attention);
        TransformerModel model = run.model();
        TrainConfig train = run.train();
        AdamW adam = run.adam();
        Random data = run.data();
        Tape fused = new Tape(model, true);
        Engine[] engines = {fused, new Unfused(fused)};
        double[][][] times = new double[2][4][(steps + 1) / 2];                  // [engine][total, fwd, bwd, opt][step]
        double[] first = new double[2], loss = new double[2];
        for (int s = 0; s < steps; s++) {
            INDArray tokens = randomTokens(data, batch, length), targets = randomTokens(data, batch, length);
            int step = s, which = s % 2;
            long[] t = new long[3];
            double[] phases = StepMemory.run("etlab-train-benchmark", () -> timedStep(engines[which], tokens, targets, adam, train, step, t));
            double[][] at = times[which];
            at[0][s / 2] = (t[2] - t[0]) / 1e6;
            at[1][s / 2] = phases[0];
            at[2][s / 2] = phases[1];
            at[3][s / 2] = (t[2] - t[1]) / 1e6;
            if (s < 2) first[which] = at[0][0];
            loss[which] = phases[2];
        }
        List<Result> out = new ArrayList<>();
        String[] names = {"tape", "tape-unfused"};
        for (int i = 0; i < 2; i++) {
            int n = i == 0 ? (steps + 1) / 2 : steps / 2, from = warmup / 2;
            double[][] at = times[i];
            out.add(new Result(names[i], length, batch, model.params().trainableCount(), first[i], median(Arrays.copyOf(at[0], n), from),
                median(Arrays.copyOf(at[1], n), from), median(Arrays.copyOf(at[2], n), from), median(Arrays.copyOf(at[3], n), from), loss[i]));
        }
        return out;
    }

    /** Notebook 00's model with the given attention kind, its training settings, AdamW and the token source. */
    private record Training(TransformerModel model, TrainConfig train, AdamW adam, Random data) {
        static Training of(int length, int batch, int steps, String attention) {
            ModelConfig config = ModelConfig.languageModel(VOCAB, length)
                .withAttention(dev.etlab.attention.AttentionRegistry.get(attention).defaults());
            TransformerModel model = TransformerModel.create(config, 2);
            TrainConfig train = TrainConfig.defaults().withSteps(steps).withBatchSize(batch);
            return new Training(model, train, new AdamW(model.params(), train), new Random(7));
        }
    }

    private static double[] timedStep(Engine e, INDArray tokens, INDArray targets, AdamW adam, TrainConfig train, int step, long[] t) {
        t[0] = System.nanoTime();
        double[] phases = e.forwardBackward(tokens, targets);
        t[1] = System.nanoTime();
        Map<String, INDArray> grads = e.gradients();
        AdamW.clipGlobalNorm(grads, train.clipNorm());
        adam.step(grads, train.learningRateAt(step + 1));
        t[2] = System.nanoTime();
        return phases;
    }

    private interface Engine {
        default boolean inWorkspace() { return false; }
        /** {forward ms, backward ms, loss}. */
        double[] forwardBackward(INDArray tokens, INDArray targets);
        Map<String, INDArray> gradients();
    }

    /** The eager tape, as {@link dev.etlab.train.Trainer} runs it. */
    private static final class Tape implements Engine {
        private final TransformerModel model;
        private final boolean workspace;
        private Map<String, INDArray> grads;

        Tape(TransformerModel model, boolean workspace) {
            this.model = model;
            this.workspace = workspace;
        }

        @Override public boolean inWorkspace() { return workspace; }

        @Override
        public double[] forwardBackward(INDArray tokens, INDArray targets) {
            long t0 = System.nanoTime();
            TapeOps ops = TapeOps.training(model.params(), n -> true, DataType.FLOAT, new Random(1));
            Var logits = model.logits(ops, ops.constant(tokens), null);
            Var loss = Losses.languageModelling(ops, logits, ops.constant(targets), ops.constant(Nd4j.ones(DataType.FLOAT, tokens.shape())));
            double value = loss.value().getDouble(0);
            long t1 = System.nanoTime();
            ops.backward(loss);
            grads = new HashMap<>(ops.paramGradients());
            long t2 = System.nanoTime();
            return new double[] {(t1 - t0) / 1e6, (t2 - t1) / 1e6, value};
        }

        @Override public Map<String, INDArray> gradients() { return grads; }
    }

    /** The tape with LayerNorm, GELU and the loss on their ND4J twins ({@code -Detlab.fused=false} during the step). */
    private record Unfused(Tape tape) implements Engine {
        @Override public boolean inWorkspace() { return tape.inWorkspace(); }
        @Override public Map<String, INDArray> gradients() { return tape.gradients(); }

        @Override
        public double[] forwardBackward(INDArray tokens, INDArray targets) {
            String saved = System.getProperty(dev.etlab.tensor.Fused.PROPERTY);
            System.setProperty(dev.etlab.tensor.Fused.PROPERTY, "false");
            try {
                return tape.forwardBackward(tokens, targets);
            } finally {
                if (saved == null) System.clearProperty(dev.etlab.tensor.Fused.PROPERTY);
                else System.setProperty(dev.etlab.tensor.Fused.PROPERTY, saved);
            }
        }
    }

    /** The SameDiff graph the trainer used before the tape: built once, then calculateGradientsAndOutputs per step. */
    private static final class Graph implements Engine {
        private final TransformerModel model;
        private final int batch, length;
        private SameDiff sd;
        private List<String> trainable;
        private Map<String, INDArray> grads;

        Graph(TransformerModel model, int batch, int length) {
            this.model = model;
            this.batch = batch;
            this.length = length;
        }

        private void build() {
            sd = SameDiff.create();
            SdOps ops = new SdOps(sd, model.params(), DataType.FLOAT, true);
            SDVariable tokens = ops.placeholder("tokens", DataType.INT, batch, length);
            SDVariable logits = ops.named(model.logits(ops, tokens, null), "logits");
            SDVariable targets = ops.placeholder("targets", DataType.INT, batch, length);
            SDVariable mask = ops.placeholder("loss_mask", DataType.FLOAT, batch, length);
            SDVariable loss = ops.named(Losses.languageModelling(ops, logits, targets, mask), "loss");
            loss.markAsLoss();
            trainable = ops.paramNames();
        }

        @Override
        public double[] forwardBackward(INDArray tokens, INDArray targets) {
            long t0 = System.nanoTime();
            if (sd == null) build();
            Map<String, INDArray> feeds = new HashMap<>();
            feeds.put("tokens", tokens);
            feeds.put("targets", targets);
            feeds.put("loss_mask", Nd4j.ones(DataType.FLOAT, tokens.shape()));
            OutAndGrad out = Lab.withoutGraphChatter(() -> sd.calculateGradientsAndOutputs(feeds, List.of("loss", "logits"), trainable));
            grads = new HashMap<>(out.getGradients());
            long t1 = System.nanoTime();
            return new double[] {(t1 - t0) / 1e6, 0, out.getOutputs().get("loss").getDouble(0)};
        }

        @Override public Map<String, INDArray> gradients() { return grads; }
    }

    static INDArray randomTokens(Random r, int batch, int length) {
        int[] v = new int[batch * length];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(VOCAB);
        return Nd4j.createFromArray(v).reshape(batch, length);
    }

    /** Median of values[from..]. */
    static double median(double[] values, int from) {
        double[] tail = Arrays.copyOfRange(values, from, values.length);
        Arrays.sort(tail);
        int n = tail.length;
        return n % 2 == 1 ? tail[n / 2] : (tail[n / 2 - 1] + tail[n / 2]) / 2;
    }

    static String format(Result r) {
        return String.format(Locale.ROOT, "%-9s T=%d x B=%d  (%,d params): step %.1f ms (forward %.1f, backward %.1f, clip+AdamW %.1f); first step %.0f ms; loss %.3f",
            r.engine(), r.length(), r.batch(), r.parameters(), r.stepMs(), r.forwardMs(), r.backwardMs(), r.optimizerMs(),
            r.firstStepMs(), r.lastLoss());
    }

    /** One machine-readable line (environment/bench/side_by_side.py reads it). */
    static String json(Result r) {
        return String.format(Locale.ROOT, "RESULT {\"engine\": \"%s\", \"length\": %d, \"batch\": %d, \"parameters\": %d, \"step_ms\": %.3f, "
            + "\"forward_ms\": %.3f, \"backward_ms\": %.3f, \"optimizer_ms\": %.3f, \"first_step_ms\": %.3f, \"loss\": %.5f}",
            r.engine(), r.length(), r.batch(), r.parameters(), r.stepMs(), r.forwardMs(), r.backwardMs(), r.optimizerMs(), r.firstStepMs(), r.lastLoss());
    }

    static String table(List<Result> results, int warmup, int steps) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "median ms per training step (steps %d-%d), threads: %s%n", warmup + 1, steps,
            System.getenv().getOrDefault("OMP_NUM_THREADS", "default")));
        sb.append("| engine | T x batch | step | forward | backward | clip + AdamW | first step |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, "| %s | %d x %d | %.1f | %.1f | %s | %.1f | %.0f |%n", r.engine(), r.length(), r.batch(),
                r.stepMs(), r.forwardMs(), r.engine().equals("samediff") ? "(in forward)" : String.format(Locale.ROOT, "%.1f", r.backwardMs()),
                r.optimizerMs(), r.firstStepMs()));
        }
        return sb.toString();
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            Check.arg(args[i].startsWith("--") && i + 1 < args.length, "argument", args[i], "--name value pairs (see the class comment)");
            out.put(args[i].substring(2), args[++i]);
        }
        return out;
    }
}
