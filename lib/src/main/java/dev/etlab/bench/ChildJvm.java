package dev.etlab.bench;

import dev.etlab.Simd;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How benchmark child JVMs are started: this JVM's {@code java}, the library's classpath
 * ({@link ChildClasspath}), the JVM options that matter copied from this JVM, and an environment
 * with {@code MALLOC_ARENA_MAX=1}.
 *
 * <p>Copied options: {@code -Xmx}/{@code -Xms}, {@code -XX:MaxRAMPercentage} and every
 * {@code -Dorg.bytedeco.*} (JavaCPP's cache folder and memory limits) and {@code -Dorg.nd4j.*}
 * property, and {@code -Detlab.simd}. The environment is inherited, so {@code ETLAB_BLAS_THREADS} and {@code OMP_NUM_THREADS}
 * reach the child as they are here.
 *
 * <p>Added: {@code MALLOC_ARENA_MAX=1} in the environment (one glibc arena, as everywhere in the
 * lab) and {@code -XX:MaxHeapFreeRatio=100}, which stops the collector from shrinking the heap:
 * after the collections that precede each run, G1 would otherwise hand heap memory back to the
 * system in the background, and resident memory falling during a point hides part of its peak
 * (a forward pass at T = 512 measured 0 bytes of peak for 13 MiB of arrays that way). When this JVM
 * has {@code jdk.incubator.vector} loaded ({@link Simd#moduleLoaded()}), children get
 * {@code --add-modules=jdk.incubator.vector} too, so they run the same (vector or plain) kernels; it is
 * added from the module layer, not copied from the input arguments, which may spell it either way.
 *
 * @param classpath   the child's classpath
 * @param jvmOptions  options before the main class
 * @param environment variables set on top of this process's environment
 */
record ChildJvm(String classpath, List<String> jvmOptions, Map<String, String> environment) {

    /** The main class children run. */
    static final String MAIN = BenchmarkChild.class.getName();

    /** The option that loads the Vector API module in a child (one token, so it survives whitespace splitting). */
    static final String ADD_VECTOR_MODULE = "--add-modules=jdk.incubator.vector";

    /**
     * Children of this JVM, with extra options and environment variables (which win over inherited
     * ones). When this JVM sets no JavaCPP physical-memory limit, children get
     * {@code physicalLimitBytes} (if positive): without it JavaCPP's default, 4 × -Xmx, would force
     * collections and fail points below the memory cap.
     */
    static ChildJvm ofThisJvm(List<String> extraOptions, Map<String, String> extraEnvironment, long physicalLimitBytes) {
        List<String> options = inheritedOptions(ManagementFactory.getRuntimeMXBean().getInputArguments());
        if (Simd.moduleLoaded()) options.add(0, ADD_VECTOR_MODULE);
        if (physicalLimitBytes > 0 && MemoryCap.physicalLimit(options).isEmpty()
            && MemoryCap.physicalLimit(extraOptions).isEmpty()) {
            options.add("-Dorg.bytedeco.javacpp.maxphysicalbytes=" + physicalLimitBytes);
        }
        options.add("-XX:MaxHeapFreeRatio=100");
        options.addAll(extraOptions);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MALLOC_ARENA_MAX", "1");
        env.putIfAbsent("OMP_WAIT_POLICY", System.getenv().getOrDefault("OMP_WAIT_POLICY", "PASSIVE"));
        env.putAll(extraEnvironment);
        return new ChildJvm(ChildClasspath.resolve(), List.copyOf(options), Map.copyOf(env));
    }

    /** The options of {@code parentArguments} a benchmark child should share (see the class comment). */
    static List<String> inheritedOptions(List<String> parentArguments) {
        List<String> out = new ArrayList<>();
        for (String a : parentArguments) {
            if (a.startsWith("-Xmx") || a.startsWith("-Xms") || a.startsWith("-XX:MaxRAMPercentage")
                || a.startsWith("-Dorg.bytedeco.") || a.startsWith("-Dorg.nd4j.") || a.startsWith("-D" + Simd.PROPERTY + "=")) {
                out.add(a);
            }
        }
        return out;
    }

    /** The {@code java} launcher of this JVM. */
    static String javaExecutable() {
        Path fromHome = Path.of(System.getProperty("java.home"), "bin", "java");
        if (Files.isExecutable(fromHome)) return fromHome.toString();
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** The full command line. */
    List<String> command() {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaExecutable());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(MAIN);
        return cmd;
    }

    /** Starts a child; its stdin, stdout and stderr are pipes to this process. */
    Process start() throws java.io.IOException {
        ProcessBuilder pb = new ProcessBuilder(command());
        pb.environment().putAll(environment);
        return pb.start();
    }
}
