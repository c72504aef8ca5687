package dev.etlab;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What the lab is running on: backend, BLAS, threads, memory, and the GPU (name and compute
 * capability) when there is one, and whether the Vector API kernels are on ({@link Simd}). The first
 * cell of every notebook prints {@link #report()}.
 *
 * <p>Before ND4J is touched on a CUDA build, the GPU is checked with {@code nvidia-smi}: this
 * ND4J build (1.0.0-M2.1, CUDA 11.6) has machine code for compute capability 3.7–8.6 only, so
 * no GPU or a Hopper GPU (9.0) gets a {@link BackendUnavailableException} saying what to do,
 * instead of a native crash.
 */
public record Backend(String backend, String blasVendor, int blasThreads, int ompThreads, int cores,
                      String javaVersion, String nd4jVersion, long maxHeapBytes, long maxOffHeapBytes,
                      String gpuName, String gpuComputeCapability) {

    /** Highest compute capability with machine code in nd4j-cuda-11.6 1.0.0-M2.1. */
    public static final double MAX_SUPPORTED_CC = 8.6;
    /** Lowest compute capability with machine code in nd4j-cuda-11.6 1.0.0-M2.1. */
    public static final double MIN_SUPPORTED_CC = 3.7;

    /** Thrown when the configured backend cannot start here; the message says how to run on CPU. */
    public static final class BackendUnavailableException extends IllegalStateException {
        public BackendUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static final String HOW_TO_USE_CPU = "To run on the CPU instead, rebuild with the CPU backend — "
        + "environment/setup.sh --cpu (or mvn -DskipTests package, without -Pcuda) — and restart the kernel or program.";

    /** Initialises the lab ({@link Lab#init}) and the backend, then describes them. */
    public static Backend report() {
        boolean cudaBuild = isCudaBuildOnClasspath();
        String[] gpu = cudaBuild ? preflightGpu() : new String[] {null, null};
        Lab.init();
        Properties env;
        try {
            env = Nd4j.getExecutioner().getEnvironmentInformation();
        } catch (Throwable t) {
            throw new BackendUnavailableException("The ND4J " + (cudaBuild ? "CUDA" : "CPU") + " backend could not start: "
                + t + ". " + (cudaBuild ? HOW_TO_USE_CPU : "Check that the nd4j-native linux-x86_64 jar is on the classpath."), t);
        }
        return new Backend(
            env.getProperty("backend", "?"),
            env.getProperty("blas.vendor", "?"),
            Nd4j.factory().blas().getMaxThreads(),
            intProperty(env, "omp.threads"),
            Runtime.getRuntime().availableProcessors(),
            System.getProperty("java.version"),
            nd4jBuildVersion(),
            Runtime.getRuntime().maxMemory(),
            org.bytedeco.javacpp.Pointer.maxBytes(),
            gpu[0], gpu[1]);
    }

    static boolean isCudaBuildOnClasspath() {
        try {
            Class.forName("org.nd4j.linalg.jcublas.JCublasBackend", false, Backend.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** {name, compute capability} of GPU 0, or an exception explaining why CUDA cannot be used. */
    static String[] preflightGpu() {
        List<String> lines;
        try {
            Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=name,compute_cap", "--format=csv,noheader")
                .redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                lines = r.lines().toList();
            }
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0 || lines.isEmpty()) {
                throw new BackendUnavailableException("This is a CUDA build, but nvidia-smi found no usable NVIDIA GPU ("
                    + String.join(" ", lines) + "). " + HOW_TO_USE_CPU, null);
            }
        } catch (java.io.IOException e) {
            throw new BackendUnavailableException("This is a CUDA build, but nvidia-smi could not be run (" + e.getMessage()
                + "): no NVIDIA driver here. " + HOW_TO_USE_CPU, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("Interrupted while querying the GPU. " + HOW_TO_USE_CPU, e);
        }
        return checkComputeCapability(lines.get(0));
    }

    /** Parses one {@code name, cc} line from nvidia-smi and rejects capabilities outside this ND4J build's range. */
    static String[] checkComputeCapability(String csvLine) {
        String[] parts = csvLine.split(",");
        String name = parts[0].trim();
        String cc = parts.length > 1 ? parts[1].trim() : "?";
        double value;
        try {
            value = Double.parseDouble(cc);
        } catch (NumberFormatException e) {
            throw new BackendUnavailableException("Could not read the compute capability of " + name + " (\"" + cc
                + "\"); this ND4J CUDA build supports " + MIN_SUPPORTED_CC + "-" + MAX_SUPPORTED_CC + ". " + HOW_TO_USE_CPU, e);
        }
        if (value > MAX_SUPPORTED_CC + 1e-9 || value < MIN_SUPPORTED_CC - 1e-9) {
            throw new BackendUnavailableException("GPU " + name + " has compute capability " + cc + ", but nd4j-cuda-11.6 "
                + "1.0.0-M2.1 has machine code for " + MIN_SUPPORTED_CC + "-" + MAX_SUPPORTED_CC
                + " only (T4, V100, A100, RTX 30/40, L4; not Hopper H100/H200). " + HOW_TO_USE_CPU, null);
        }
        return new String[] {name, cc};
    }

    private static int intProperty(Properties p, String key) {
        Object v = p.get(key);
        try {
            return v == null ? -1 : Integer.parseInt(v.toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String nd4jBuildVersion() {
        Package p = Nd4j.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v != null ? v : "1.0.0-M2.1";
    }

    /** Field → value, in display order. */
    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("backend", backend);
        m.put("BLAS", blasVendor + " (" + blasThreads + " thread" + (blasThreads == 1 ? "" : "s") + ")");
        m.put("OpenMP threads", String.valueOf(ompThreads));
        m.put("CPU cores", String.valueOf(cores));
        m.put("GPU", gpuName == null ? "none (CPU backend)" : gpuName + ", compute capability " + gpuComputeCapability);
        m.put("Java", javaVersion);
        m.put("ND4J", nd4jVersion);
        m.put("Vector API", Simd.status());
        m.put("JVM heap max", String.format("%.1f GiB", maxHeapBytes / 1073741824.0));
        m.put("ND4J off-heap max", String.format("%.1f GiB", maxOffHeapBytes / 1073741824.0));
        m.put("quick mode (ETLAB_QUICK)", String.valueOf(Lab.quick()));
        return m;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Efficient Transformers Lab — environment\n");
        asMap().forEach((k, v) -> sb.append(String.format("  %-26s %s%n", k, v)));
        return sb.toString();
    }
}
