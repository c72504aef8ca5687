package dev.etlab.bench;

import java.lang.reflect.Method;
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

    private static volatile Method counter;
    private static volatile boolean resolved;

    /** Current ND4J off-heap array bytes. */
    static long currentBytes() {
        Method m = counterMethod();
        if (m != null) {
            try {
                return ((Number) m.invoke(Nd4j.getEnvironment(), 0)).longValue();
            } catch (ReflectiveOperationException | RuntimeException e) {
                counter = null;
            }
        }
        return org.bytedeco.javacpp.Pointer.totalBytes();
    }

    /** Which counter {@link #currentBytes} reads. */
    static String source() {
        return counterMethod() != null ? "libnd4j device counter" : "JavaCPP Pointer.totalBytes()";
    }

    private static Method counterMethod() {
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

    private static Method find(String name) {
        try {
            Method m = Nd4j.getEnvironment().getClass().getMethod(name, int.class);
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
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
