package dev.etlab.bench;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * The classpath a child JVM needs to run this library, found from where this library was loaded
 * rather than trusted from {@code java.class.path}: in a notebook the library's jars are added to
 * the kernel's class loader ({@code %jars}), and whether they also reach {@code java.class.path}
 * depends on the kernel. In order:
 * <ol>
 *   <li>{@code ETLAB_BENCH_CLASSPATH}, when set;</li>
 *   <li>the library is a jar with a {@code dependency/} folder of jars beside it
 *       ({@code lib/target/etlab.jar} and {@code lib/target/dependency/*.jar}, the layout notebooks
 *       load): that jar and those jars;</li>
 *   <li>{@code java.class.path} already contains the library (directly or through a jar manifest's
 *       {@code Class-Path}, as Maven Surefire's booter jar does): {@code java.class.path} as is;</li>
 *   <li>the library is a classes folder with a {@code dependency/} folder beside it
 *       ({@code target/classes}, {@code target/dependency}): those;</li>
 *   <li>otherwise the library, every entry of the URL class loaders it was loaded through, and
 *       {@code java.class.path}.</li>
 * </ol>
 */
final class ChildClasspath {
    private ChildClasspath() {}

    /** The classpath for a child JVM of this process. */
    static String resolve() {
        String override = System.getenv("ETLAB_BENCH_CLASSPATH");
        if (override != null && !override.isBlank()) return override;
        return resolve(librarySource(), System.getProperty("java.class.path", ""), loaderEntries(BenchmarkPoint.class.getClassLoader()));
    }

    /** Rules 2–5 of the class comment, for a library at {@code library}. */
    static String resolve(Path library, String javaClassPath, List<Path> loaderEntries) {
        Path self = normal(library);
        Path parent = self.getParent();
        List<Path> besideDependencies = parent == null ? List.of() : jarsIn(parent.resolve("dependency"));
        if (isJar(self) && !besideDependencies.isEmpty()) return join(concat(self, besideDependencies));
        List<Path> declared = split(javaClassPath);
        if (expandManifests(declared).contains(self)) return javaClassPath;
        if (Files.isDirectory(self) && !besideDependencies.isEmpty()) return join(concat(self, besideDependencies));
        Set<Path> all = new LinkedHashSet<>();
        all.add(self);
        loaderEntries.forEach(p -> all.add(normal(p)));
        all.addAll(declared);
        return join(new ArrayList<>(all));
    }

    /** The jar or folder this library's classes were loaded from. */
    static Path librarySource() {
        try {
            return Path.of(BenchmarkPoint.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot locate the jar or folder holding " + BenchmarkPoint.class.getName()
                + "; set ETLAB_BENCH_CLASSPATH to the classpath for benchmark child processes", e);
        }
    }

    /** File entries of every {@link URLClassLoader} from {@code loader} up to the system loader. */
    static List<Path> loaderEntries(ClassLoader loader) {
        List<Path> out = new ArrayList<>();
        for (ClassLoader l = loader; l != null; l = l.getParent()) {
            if (l instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) {
                    try {
                        if ("file".equals(url.getProtocol())) out.add(Path.of(url.toURI()));
                    } catch (URISyntaxException | RuntimeException ignored) {
                        // not a local file: a child cannot use it anyway
                    }
                }
            }
        }
        return out;
    }

    /** The entries and, for jars among them, the entries named in their manifest's Class-Path. */
    static Set<Path> expandManifests(List<Path> entries) {
        Set<Path> out = new LinkedHashSet<>(entries);
        for (Path p : entries) {
            if (!isJar(p) || !Files.isRegularFile(p)) continue;
            try (JarFile jar = new JarFile(p.toFile())) {
                Manifest m = jar.getManifest();
                String classPath = m == null ? null : m.getMainAttributes().getValue("Class-Path");
                if (classPath == null) continue;
                URI base = p.toUri();
                for (String entry : classPath.trim().split("\\s+")) {
                    if (entry.isEmpty()) continue;
                    try {
                        URI u = base.resolve(entry);
                        if ("file".equals(u.getScheme())) out.add(normal(Path.of(u)));
                    } catch (IllegalArgumentException ignored) {
                        // an entry we cannot read cannot be ours
                    }
                }
            } catch (IOException ignored) {
                // unreadable jar: nothing to expand
            }
        }
        return out;
    }

    private static List<Path> jarsIn(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(ChildClasspath::isJar).map(ChildClasspath::normal).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static boolean isJar(Path p) {
        return p.getFileName() != null && p.getFileName().toString().endsWith(".jar");
    }

    private static List<Path> split(String classPath) {
        List<Path> out = new ArrayList<>();
        for (String s : classPath.split(File.pathSeparator)) if (!s.isBlank()) out.add(normal(Path.of(s)));
        return out;
    }

    private static List<Path> concat(Path first, List<Path> rest) {
        List<Path> out = new ArrayList<>();
        out.add(first);
        out.addAll(rest);
        return out;
    }

    private static Path normal(Path p) {
        return p.toAbsolutePath().normalize();
    }

    private static String join(List<Path> paths) {
        return String.join(File.pathSeparator, paths.stream().map(Path::toString).toList());
    }
}
