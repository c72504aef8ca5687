package dev.etlab.io;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Config records ↔ text, one {@code key=value} line per component, nested records as dotted keys:
 * <pre>
 * head=CAUSAL_LM
 * vocabSize=65
 * attention.type=dev.etlab.attention.StandardAttention$Config
 * </pre>
 * Handles ints, longs, doubles, booleans, strings, enums, int[]/double[], nested records and
 * sealed interfaces of records (the {@code .type} line names the permitted implementation).
 * Used by checkpoints and by the benchmark's child processes. Values may not contain newlines.
 */
public final class ConfigCodec {
    private ConfigCodec() {}

    /** The record as {@code key=value} lines in component order. */
    public static String encode(Record config) {
        return encode(config, config.getClass());
    }

    /**
     * The record as it will be decoded as {@code declared}: when that is a sealed interface
     * (such as {@code AttentionConfig}), a {@code type=} line names the implementation.
     */
    public static String encode(Object config, Class<?> declared) {
        if (!(config instanceof Record) || !declared.isInstance(config)) {
            throw new IllegalArgumentException("config = " + config + ": expected a record implementing " + declared.getSimpleName());
        }
        StringBuilder sb = new StringBuilder();
        write(sb, "", config, declared);
        return sb.toString();
    }

    /** The record as one line: the lines of {@link #encode} joined by {@code "; "}. */
    public static String encodeLine(Record config) {
        return String.join("; ", encode(config).strip().split("\n"));
    }

    /** Reads what {@link #encode} or {@link #encodeLine} wrote. */
    public static <R> R decode(String text, Class<R> type) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : text.split("\n|; ")) {
            if (line.isBlank()) continue;
            int eq = line.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("config line \"" + line + "\": expected key=value");
            values.put(line.substring(0, eq).trim(), line.substring(eq + 1));
        }
        R out = read(values, "", type);
        List<String> unused = new ArrayList<>(values.keySet());
        unused.removeAll(used(out, ""));
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException("config keys " + unused + ": expected only the components of " + type.getSimpleName());
        }
        return out;
    }

    private static void write(StringBuilder sb, String prefix, Object value, Class<?> declared) {
        if (value instanceof Record r) {
            if (!declared.isRecord()) sb.append(prefix).append("type=").append(r.getClass().getName()).append('\n');
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                write(sb, prefix + c.getName() + (c.getType().isRecord() || c.getType().isInterface() ? "." : ""),
                    get(c, r), c.getType());
            }
        } else {
            sb.append(prefix).append('=').append(scalar(value)).append('\n');
        }
    }

    private static String scalar(Object v) {
        if (v instanceof int[] a) return Arrays.toString(a);
        if (v instanceof double[] a) return Arrays.toString(a);
        if (v instanceof Enum<?> e) return e.name();
        String s = String.valueOf(v);
        if (s.contains("\n") || s.contains("; ")) throw new IllegalArgumentException("config value \"" + s + "\": expected no newline or \"; \"");
        return s;
    }

    @SuppressWarnings("unchecked")
    private static <R> R read(Map<String, String> values, String prefix, Class<R> declared) {
        Class<?> type = declared;
        if (!declared.isRecord()) {
            String name = values.get(prefix + "type");
            if (name == null) throw new IllegalArgumentException("config key " + prefix + "type: missing; expected the implementation of " + declared.getSimpleName());
            type = Arrays.stream(declared.getPermittedSubclasses() == null ? new Class<?>[0] : declared.getPermittedSubclasses())
                .filter(c -> c.getName().equals(name)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                    "config " + prefix + "type = " + name + ": expected one of " + Arrays.stream(declared.getPermittedSubclasses()).map(Class::getName).toList()));
        }
        RecordComponent[] comps = type.getRecordComponents();
        Object[] args = new Object[comps.length];
        Class<?>[] types = new Class<?>[comps.length];
        for (int i = 0; i < comps.length; i++) {
            Class<?> ct = comps[i].getType();
            types[i] = ct;
            if (ct.isRecord() || ct.isInterface()) {
                args[i] = read(values, prefix + comps[i].getName() + ".", ct);
            } else {
                String key = prefix + comps[i].getName();
                String raw = values.get(key);
                if (raw == null) throw new IllegalArgumentException("config key " + key + ": missing; expected a value of type " + ct.getSimpleName());
                args[i] = parse(key, raw, ct);
            }
        }
        try {
            Constructor<?> ctor = type.getDeclaredConstructor(types);
            return (R) ctor.newInstance(args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) throw re;
            throw new IllegalArgumentException(cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + type.getName(), e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object parse(String key, String raw, Class<?> t) {
        try {
            if (t == int.class || t == Integer.class) return Integer.parseInt(raw);
            if (t == long.class || t == Long.class) return Long.parseLong(raw);
            if (t == double.class || t == Double.class) return Double.parseDouble(raw);
            if (t == boolean.class || t == Boolean.class) {
                if (!raw.equals("true") && !raw.equals("false")) throw new IllegalArgumentException(raw);
                return Boolean.parseBoolean(raw);
            }
            if (t == String.class) return raw;
            if (t.isEnum()) return Enum.valueOf((Class<? extends Enum>) t, raw);
            if (t == int[].class) return list(raw).stream().mapToInt(Integer::parseInt).toArray();
            if (t == double[].class) return list(raw).stream().mapToDouble(Double::parseDouble).toArray();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config " + key + " = " + raw + ": expected a value of type " + t.getSimpleName(), e);
        }
        throw new IllegalArgumentException("config " + key + ": type " + t.getName() + " is not supported by ConfigCodec");
    }

    private static List<String> list(String raw) {
        String inner = raw.strip();
        if (!inner.startsWith("[") || !inner.endsWith("]")) throw new IllegalArgumentException(raw);
        inner = inner.substring(1, inner.length() - 1).strip();
        return inner.isEmpty() ? List.of() : Arrays.stream(inner.split(",")).map(String::strip).toList();
    }

    private static List<String> used(Object value, String prefix) {
        List<String> keys = new ArrayList<>();
        if (!(value instanceof Record r)) return keys;
        keys.add(prefix + "type");
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            Object v = get(c, r);
            if (c.getType().isRecord() || c.getType().isInterface()) keys.addAll(used(v, prefix + c.getName() + "."));
            else keys.add(prefix + c.getName());
        }
        return keys;
    }

    private static Object get(RecordComponent c, Record r) {
        try {
            c.getAccessor().setAccessible(true);
            return c.getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Component-by-component differences between two configs of the same type: "key: a vs b" lines. */
    public static List<String> differences(Record a, Record b) {
        Map<String, String> x = lines(encode(a));
        Map<String, String> y = lines(encode(b));
        List<String> out = new ArrayList<>();
        for (String k : x.keySet()) if (!x.get(k).equals(y.get(k))) out.add(k + ": " + x.get(k) + " vs " + y.getOrDefault(k, "(absent)"));
        for (String k : y.keySet()) if (!x.containsKey(k)) out.add(k + ": (absent) vs " + y.get(k));
        return out;
    }

    private static Map<String, String> lines(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) if (!line.isBlank()) m.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
        return m;
    }
}
