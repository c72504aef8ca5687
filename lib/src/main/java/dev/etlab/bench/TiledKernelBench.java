package dev.etlab.bench;

import dev.etlab.Lab;
import dev.etlab.Simd;
import dev.etlab.attention.Attention;
import dev.etlab.attention.AttentionConfig;
import dev.etlab.attention.AttentionDims;
import dev.etlab.attention.ExactTiledAttention;
import dev.etlab.attention.StandardAttention;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Exact tiled attention's two kernels (fused tile loop, and the ND4J-call-per-step twin) and the
 * naive standard layer, timed in one process: one layer, d_model 64, 4 heads, batch 1, float32,
 * bidirectional (or {@code --causal true}), {@code --warmup} untimed runs (2) then the median of {@code --runs} (3). Time only; for memory use {@link SuiteMain}.
 *
 * <pre>
 * java --add-modules=jdk.incubator.vector -cp 'lib/target/etlab.jar:lib/target/dependency/*' dev.etlab.bench.TiledKernelBench \
 *     --lengths 1024,4096 --modes forward,fb --layers tiled-ops,tiled-fused,tiled-ndexp,standard --runs 3
 * </pre>
 * Layers: {@code tiled-ops} (the ND4J-call twin), {@code tiled-fused} (fused, scalar Java exp), {@code tiled-ndexp}
 * (fused, tiles exponentiated in place by ND4J), {@code tiled-simd} (the Vector API kernel, the default when the JVM
 * loads jdk.incubator.vector; needs {@code --add-modules=jdk.incubator.vector}), {@code standard}, and the peers'
 * layers as the side-by-side script builds them, {@code performer} (m = 64), {@code linformer} (k = 128) and
 * {@code longformer} (w = 64, no global token); a suffix {@code @N} runs that layer with N BLAS
 * threads (set at run time, then restored), e.g. {@code tiled-ndexp@2}. {@code --clock cpu} times the calling thread's
 * CPU time instead of wall time, for comparing two builds of a kernel on a machine other work keeps busy: run one
 * thread ({@code OMP_NUM_THREADS=1}, {@code -Detlab.attention.vector.parallel=false}, a layer {@code @1}).
 */
public final class TiledKernelBench {
    private TiledKernelBench() {}

    /** FusedTiles' choice of exp for float32 tiles: tiled-fused sets it false (scalar Java exp), tiled-ndexp true. */
    private static final String ND_EXP_PROPERTY = "etlab.attention.fusedTiles.ndExp";

    public static void main(String[] args) {
        List<Integer> lengths = List.of(1024, 4096);
        List<String> modes = List.of("forward", "fb"), layers = List.of("tiled-ops", "tiled-fused", "tiled-ndexp", "tiled-simd", "standard");
        int runs = 3, warmup = 2;
        boolean causal = false;
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--lengths" -> lengths = Arrays.stream(v.split(",")).map(Integer::parseInt).toList();
                case "--modes" -> modes = List.of(v.split(","));
                case "--layers" -> layers = List.of(v.split(","));
                case "--runs" -> runs = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                case "--causal" -> causal = Boolean.parseBoolean(v);
                case "--clock" -> cpuClock = switch (v) {
                    case "cpu" -> true;
                    case "wall" -> false;
                    default -> throw new IllegalArgumentException("--clock " + v + ": expected cpu or wall");
                };
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Lab.init();
        System.out.println("| mode | T | layer | median | runs |");
        System.out.println("| --- | --- | --- | --- | --- |");
        for (String mode : modes) {
            for (int t : lengths) {
                for (String name : layers) {
                    String layer = name.contains("@") ? name.substring(0, name.indexOf('@')) : name;
                    int blas = Nd4j.factory().blas().getMaxThreads();
                    if (name.contains("@")) Nd4j.factory().blas().setMaxThreads(Integer.parseInt(name.substring(name.indexOf('@') + 1)));
                    double[] ms = time(layer, mode, t, warmup, runs, causal);
                    Nd4j.factory().blas().setMaxThreads(blas);
                    double[] sorted = ms.clone();
                    Arrays.sort(sorted);
                    List<String> each = new ArrayList<>();
                    for (double m : ms) each.add(String.format("%.1f", m));
                    System.out.printf("| %s | %d | %s | %.1f ms | %s |%n", mode, t, name, sorted[sorted.length / 2], String.join(", ", each));
                }
            }
        }
    }

    /**
     * {@code --clock cpu}: the calling thread's CPU time instead of wall time. Only meaningful with one thread
     * ({@code OMP_NUM_THREADS=1}, {@code -Detlab.attention.vector.parallel=false}, layers {@code @1}); it lets two kernels
     * be compared on a machine that other work keeps busy, where wall time measures the other work.
     */
    private static boolean cpuClock;

    private static long now() {
        return cpuClock ? java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() : System.nanoTime();
    }

    private static double[] time(String layer, String mode, int t, int warmup, int runs, boolean causal) {
        AttentionConfig config = switch (layer) {
            case "standard" -> new StandardAttention.Config();
            case "performer" -> dev.etlab.attention.Performer.Config.favor(64);
            case "linformer" -> dev.etlab.attention.Linformer.Config.of(128);
            case "longformer" -> dev.etlab.attention.Longformer.Config.of(64);
            default -> new ExactTiledAttention.Config();
        };
        if (layer.startsWith("tiled")) {
            System.setProperty(ExactTiledAttention.FUSED_PROPERTY, String.valueOf(!layer.equals("tiled-ops")));
            System.setProperty(ND_EXP_PROPERTY, String.valueOf(layer.equals("tiled-ndexp")));
            System.setProperty(Simd.PROPERTY, String.valueOf(layer.equals("tiled-simd")));
            if (layer.equals("tiled-simd") && !Simd.enabled()) {
                throw new IllegalStateException("tiled-simd: " + Simd.describe());
            }
        }
        Attention attention = config.build(new AttentionDims(64, 4, t, causal));
        System.clearProperty(ExactTiledAttention.FUSED_PROPERTY);
        System.clearProperty(ND_EXP_PROPERTY);
        System.clearProperty(Simd.PROPERTY);
        ParamStore params = new ParamStore(DataType.FLOAT, 1);
        attention.declare(params, "attn.");
        Nd4j.getRandom().setSeed(2);
        INDArray x = Nd4j.randn(DataType.FLOAT, 1, t, 64);                             // (B, T, D)
        INDArray r = Nd4j.randn(DataType.FLOAT, 1, t, 64);
        Runnable once = mode.equals("forward") ? () -> attention.forward(params, "attn.", x, null) : () -> {
            TapeOps tape = TapeOps.training(params, name -> params.all().get(name).trainable(), DataType.FLOAT, null);   // as Workload: no dω for a fixed buffer
            Var in = tape.leaf(x);
            Var out = attention.apply(tape, "attn.", in, null);
            tape.backward(tape.sum(tape.mul(out, tape.constant(r)), false));
        };
        for (int i = 0; i < warmup; i++) once.run();
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = now();
            once.run();
            ms[i] = (now() - t0) / 1e6;
        }
        return ms;
    }
}
