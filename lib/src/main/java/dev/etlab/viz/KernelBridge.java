package dev.etlab.viz;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Finds a running Jupyter Java kernel by reflection, so the library has no compile-time dependency
 * on kernel jars. Two kernels are known: JJava (org.dflib.jjava, the maintained continuation of
 * IJava) and IJava 1.3 (io.github.spencerpark). A kernel counts as running only when its classes
 * are visible <em>and</em> its static kernel instance is set ({@code BaseKernel.notebookKernel()}
 * for JJava, which {@code JavaNotebookStatics.kernel()} also returns; {@code IJava.getKernelInstance()}
 * for IJava): class presence alone (e.g. kernel jars on a test class path) is not enough.
 */
final class KernelBridge {
    private KernelBridge() {}

    /** Receives MIME bundles (mime type → data; images as base64 strings). */
    interface Sink {
        /** Shows a new output and returns its display id. */
        String display(Map<String, String> bundle);

        /** Replaces the output with this display id. */
        void update(String id, Map<String, String> bundle);

        /** Short name for messages, e.g. "JJava". */
        String name();
    }

    /** The running kernel's sink, or null outside a notebook. Never throws. */
    static Sink detect() {
        try {
            Sink s = jjava();
            if (s != null) return s;
        } catch (Throwable ignored) {
            // fall through
        }
        try {
            return ijava();
        } catch (Throwable ignored) {
            return null;
        }
    }

    /** Class loaders to try, most specific first: the thread's context loader (JShell's), then ours. */
    private static List<ClassLoader> loaders() {
        Set<ClassLoader> set = new LinkedHashSet<>();
        ClassLoader ctx = Thread.currentThread().getContextClassLoader();
        if (ctx != null) set.add(ctx);
        set.add(KernelBridge.class.getClassLoader());
        ClassLoader sys = ClassLoader.getSystemClassLoader();
        if (sys != null) set.add(sys);
        return new ArrayList<>(set);
    }

    static Class<?> find(String name) {
        for (ClassLoader l : loaders()) {
            try {
                return Class.forName(name, false, l);
            } catch (ClassNotFoundException | LinkageError e) {
                // try the next loader
            }
        }
        return null;
    }

    private static Sink jjava() throws ReflectiveOperationException {
        Class<?> base = find("org.dflib.jjava.jupyter.kernel.BaseKernel");
        if (base == null) return null;
        Method getter = base.getMethod("notebookKernel");
        if (invokeStatic(getter) == null) return null;
        Class<?> data = Class.forName("org.dflib.jjava.jupyter.kernel.display.DisplayData", false, base.getClassLoader());
        return new ReflectiveSink("JJava", getter, data);
    }

    private static Sink ijava() throws ReflectiveOperationException {
        Class<?> ijava = find("io.github.spencerpark.ijava.IJava");
        if (ijava == null) return null;
        Method getter = ijava.getMethod("getKernelInstance");
        if (invokeStatic(getter) == null) return null;
        Class<?> data = Class.forName("io.github.spencerpark.jupyter.kernel.display.DisplayData", false, ijava.getClassLoader());
        return new ReflectiveSink("IJava", getter, data);
    }

    private static Object invokeStatic(Method m) {
        try {
            return m.invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // JJava's notebookKernel() throws when no kernel is running
        }
    }

    /**
     * Builds the kernel's DisplayData and hands it to the kernel object itself:
     * {@code kernel.display(DisplayData)} and {@code kernel.getIO().display.updateDisplay(id, DisplayData)}.
     * (The static {@code display(Object)} helpers would run the object through the kernel's renderer,
     * which shows a DisplayData as its toString.)
     */
    private static final class ReflectiveSink implements Sink {
        private final String name;
        private final Method kernelGetter;
        private final Class<?> dataType;
        private final Method putHtml, putText, putData, setDisplayId;

        ReflectiveSink(String name, Method kernelGetter, Class<?> dataType) throws NoSuchMethodException {
            this.name = name;
            this.kernelGetter = kernelGetter;
            this.dataType = dataType;
            this.putHtml = dataType.getMethod("putHTML", String.class);
            this.putText = dataType.getMethod("putText", String.class);
            this.putData = dataType.getMethod("putData", String.class, Object.class);
            this.setDisplayId = dataType.getMethod("setDisplayId", String.class);
        }

        private Object data(Map<String, String> bundle) throws ReflectiveOperationException {
            Object d = dataType.getConstructor().newInstance();
            for (Map.Entry<String, String> e : bundle.entrySet()) {
                switch (e.getKey()) {
                    case "text/html" -> putHtml.invoke(d, e.getValue());
                    case "text/plain" -> putText.invoke(d, e.getValue());
                    default -> putData.invoke(d, e.getKey(), e.getValue());
                }
            }
            return d;
        }

        private Object kernel() throws ReflectiveOperationException {
            Object k = kernelGetter.invoke(null);
            if (k == null) throw new IllegalStateException(name + " kernel is gone");
            return k;
        }

        @Override
        public String display(Map<String, String> bundle) {
            try {
                Object d = data(bundle);
                String id = UUID.randomUUID().toString();
                setDisplayId.invoke(d, id);
                Object k = kernel();
                k.getClass().getMethod("display", dataType).invoke(k, d);
                return id;
            } catch (InvocationTargetException e) {
                throw new IllegalStateException(name + " display failed: " + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(name + " display failed: " + e, e);
            }
        }

        @Override
        public void update(String id, Map<String, String> bundle) {
            try {
                Object d = data(bundle);
                Object k = kernel();
                Object io = k.getClass().getMethod("getIO").invoke(k);
                Object stream = io.getClass().getField("display").get(io);
                stream.getClass().getMethod("updateDisplay", String.class, dataType).invoke(stream, id, d);
            } catch (InvocationTargetException e) {
                throw new IllegalStateException(name + " updateDisplay failed: " + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(name + " updateDisplay failed: " + e, e);
            }
        }

        @Override
        public String name() {
            return name;
        }
    }
}
