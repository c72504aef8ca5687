package dev.etlab.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bytes of ND4J arrays currently allocated off the JVM heap.
 *
 * <p>In ND4J 1.0.0-M2.1 the CPU backend allocates array buffers inside libnd4j
 * ({@code OpaqueDataBuffer.allocateDataBuffer}), not through JavaCPP, so JavaCPP's
 * {@code Pointer.totalBytes()} stays near zero however large the arrays are (measured: a 1 GiB
 * array left it at 48 bytes). libnd4j counts its own buffer allocations per device (the counter
 * behind its device memory limit); this class reads that counter — the environment method is named
 * {@code getDeviceCouner} in this release — and falls back to {@code Pointer.totalBytes()} on
 * backends without it. Neither sees memory that native code allocates outside ND4J buffers (BLAS
 * work buffers, for instance); resident memory does.
 */
final class NativeMemory {
    private NativeMemory() {}

    /** libnd4j's counter bound to the environment, type (int)long; null where there is none. */
    private static volatile MethodHandle counter;
    private static volatile boolean resolved;

    /**
     * Current ND4J off-heap array bytes. Allocates nothing on the heap (the counter is called
     * through an exact method handle), so sampling it every millisecond cannot trigger the
     * garbage collections that would free dead arrays early and lower the peak being measured.
     */
    static long currentBytes() {
        MethodHandle m = counterHandle();
        if (m != null) {
            try {
                return (long) m.invokeExact(0);
            } catch (Throwable e) {
                counter = null;
            }
        }
        return org.bytedeco.javacpp.Pointer.totalBytes();
    }

    /** Which counter {@link #currentBytes} reads. */
    static String source() {
        return counterHandle() != null ? "libnd4j device counter" : "JavaCPP Pointer.totalBytes()";
    }

    private static MethodHandle counterHandle() {
        if (!resolved) {
            synchronized (NativeMemory.class) {
                if (!resolved) {
                    counter = find("getDeviceCouner");
                    if (counter == null) counter = find("getDeviceCounter");
                    resolved = true;
                }
            }
        }
        return counter;
    }

    private static MethodHandle find(String name) {
        try {
            Object env = Nd4j.getEnvironment();
            return MethodHandles.publicLookup().findVirtual(env.getClass(), name, MethodType.methodType(long.class, int.class)).bindTo(env);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static volatile Object mallocTrim;
    private static volatile boolean trimResolved;

    /**
     * Asks glibc to return free memory to the operating system ({@code malloc_trim(0)}, called
     * through JNA, which ND4J brings along; a no-op where either is missing). Freed chunks in the
     * middle of glibc's heap stay resident otherwise, and a later allocation can reuse them
     * without raising the resident high-water mark, hiding part of that allocation's peak.
     *
     * @return whether malloc_trim was called
     */
    static boolean trimMalloc() {
        if (!trimResolved) {
            synchronized (NativeMemory.class) {
                if (!trimResolved) {
                    try {
                        Class<?> lib = Class.forName("com.sun.jna.NativeLibrary");
                        Object c = lib.getMethod("getInstance", String.class).invoke(null, "c");
                        mallocTrim = lib.getMethod("getFunction", String.class).invoke(c, "malloc_trim");
                    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                        mallocTrim = null;
                    }
                    trimResolved = true;
                }
            }
        }
        Object f = mallocTrim;
        if (f == null) return false;
        try {
            f.getClass().getMethod("invokeInt", Object[].class).invoke(f, (Object) new Object[] {0});
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Caps libnd4j's buffer allocations on device 0: beyond it an allocation throws (a catchable
     * "Requested amount exceeds HOST device limits") instead of the process being killed. False
     * when the backend has no such limit.
     */
    static boolean limit(long bytes) {
        try {
            Object env = Nd4j.getEnvironment();
            env.getClass().getMethod("setDeviceLimit", int.class, long.class).invoke(env, 0, bytes);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }
}
