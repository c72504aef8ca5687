package dev.etlab;

/**
 * Whether kernels may use the JDK's Vector API ({@code jdk.incubator.vector}).
 *
 * <p>In Java 17 the Vector API is an incubator module: it is not resolved unless the JVM is started
 * with {@code --add-modules jdk.incubator.vector} (or {@code --add-modules=jdk.incubator.vector}).
 * The lab passes that flag everywhere it starts a JVM (the compiler and Surefire in the Maven build,
 * the Jupyter kernelspec, the benchmark scripts and benchmark child JVMs), but a user's own JVM may
 * lack it, and a class that links against {@code jdk.incubator.vector} then fails with
 * {@link NoClassDefFoundError} when it is loaded. So every kernel that uses the Vector API has a
 * plain-Java twin, and callers pick the vector one only when {@link #enabled()} is true; the vector
 * classes are never loaded otherwise.
 *
 * <p>This class itself must never refer to a {@code jdk.incubator.vector} type: it is what decides
 * whether those types may be touched. The lane count in {@link #describe()} is read reflectively.
 *
 * <p>{@code -Detlab.simd=false} turns the vector kernels off even when the module is loaded, to
 * compare the two paths in one JVM; the property is read on every call.
 */
public final class Simd {

    /** System property that, set to {@code false}, disables the vector kernels. Default {@code true}. */
    public static final String PROPERTY = "etlab.simd";

    static final String MODULE = "jdk.incubator.vector";

    private Simd() {}

    /** Whether {@code jdk.incubator.vector} is in the boot layer (the JVM got {@code --add-modules jdk.incubator.vector}). */
    public static boolean moduleLoaded() {
        return ModuleLayer.boot().findModule(MODULE).isPresent();
    }

    /** Whether kernels may use the Vector API: the module is loaded and {@code -Detlab.simd} is not {@code false}. */
    public static boolean enabled() {
        return moduleLoaded() && Boolean.parseBoolean(System.getProperty(PROPERTY, "true"));
    }

    /**
     * One line for people, e.g. {@code "Vector API: on (jdk.incubator.vector, 16 float lanes)"} or
     * {@code "Vector API: off (start the JVM with --add-modules jdk.incubator.vector)"}.
     */
    public static String describe() {
        return "Vector API: " + status();
    }

    /** {@link #describe()} without the {@code "Vector API: "} prefix (a value in {@link Backend#asMap()}). */
    static String status() {
        if (!moduleLoaded()) return "off (start the JVM with --add-modules " + MODULE + ")";
        if (!enabled()) return "off (-D" + PROPERTY + "=" + System.getProperty(PROPERTY) + ")";
        int lanes = preferredFloatLanes();
        return "on (" + MODULE + (lanes > 0 ? ", " + lanes + " float lanes" : "") + ")";
    }

    /** {@code FloatVector.SPECIES_PREFERRED.length()}, read reflectively; -1 if that fails. */
    static int preferredFloatLanes() {
        if (!moduleLoaded()) return -1;
        try {
            Object species = Class.forName(MODULE + ".FloatVector").getField("SPECIES_PREFERRED").get(null);
            return (Integer) Class.forName(MODULE + ".VectorSpecies").getMethod("length").invoke(species);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return -1;
        }
    }
}
