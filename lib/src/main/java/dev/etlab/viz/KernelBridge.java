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
 * are visible <em>and</em> its static kernel instance is set: class presence alone (e.g. kernel
 * jars on a test class path) is not enough.
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

    /** Calls a static no-argument method; null if it is missing, throws, or returns null. */
    private static Object callStatic(Class<?> type, String method) {
        if (type == null) return null;
        try {
            return type.getMethod(method).invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static Sink jjava() throws ReflectiveOperationException {
        Class<?> statics = find("org.dflib.jjava.jupyter.kernel.BaseNotebookStatics");
        if (statics == null) return null;
        Object kernel = callStatic(find("org.dflib.jjava.kernel.JavaNotebookStatics"), "kernel");
        if (kernel == null) {
            kernel = callStatic(Class.forName("org.dflib.jjava.jupyter.kernel.BaseKernel", false, statics.getClassLoader()),
                "notebookKernel");
        }
        if (kernel == null) return null;
        Class<?> data = Class.forName("org.dflib.jjava.jupyter.kernel.display.DisplayData", false, statics.getClassLoader());
        return new ReflectiveSink("JJava", data,
            statics.getMethod("display", Object.class),
            statics.getMethod("updateDisplay", String.class, Object.class));
    }

    private static Sink ijava() throws ReflectiveOperationException {
        Class<?> display = find("io.github.spencerpark.ijava.runtime.Display");
        if (display == null) return null;
        Object kernel = callStatic(find("io.github.spencerpark.ijava.IJava"), "getKernelInstance");
        if (kernel == null) return null;
        Class<?> data = Class.forName("io.github.spencerpark.jupyter.kernel.display.DisplayData", false, display.getClassLoader());
        return new ReflectiveSink("IJava", data,
            display.getMethod("display", Object.class),
            display.getMethod("updateDisplay", String.class, Object.class));
    }

    /** Builds the kernel's DisplayData object and hands it to the kernel's static display functions. */
    private static final class ReflectiveSink implements Sink {
        private final String name;
        private final Class<?> dataType;
        private final Method putHtml, putText, putData, setDisplayId, display, update;

        ReflectiveSink(String name, Class<?> dataType, Method display, Method update) throws NoSuchMethodException {
            this.name = name;
            this.dataType = dataType;
            this.putHtml = dataType.getMethod("putHTML", String.class);
            this.putText = dataType.getMethod("putText", String.class);
            this.putData = dataType.getMethod("putData", String.class, Object.class);
            Method id;
            try {
                id = dataType.getMethod("setDisplayId", String.class);
            } catch (NoSuchMethodException e) {
                id = null;
            }
            this.setDisplayId = id;
            this.display = display;
            this.update = update;
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

        @Override
        public String display(Map<String, String> bundle) {
            try {
                Object d = data(bundle);
                // Give it an id of our own: both kernels keep an id that is already set.
                String id = UUID.randomUUID().toString();
                if (setDisplayId != null) setDisplayId.invoke(d, id);
                Object r = display.invoke(null, d);
                return r instanceof String s ? s : id;
            } catch (InvocationTargetException e) {
                throw new IllegalStateException(name + " display failed: " + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(name + " display failed: " + e, e);
            }
        }

        @Override
        public void update(String id, Map<String, String> bundle) {
            try {
                update.invoke(null, id, data(bundle));
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
