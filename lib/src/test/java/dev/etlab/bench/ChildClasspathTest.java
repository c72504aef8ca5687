package dev.etlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where child JVMs find the library, in the layouts it is loaded from. */
class ChildClasspathTest {

    static Path jar(Path file, String manifestClassPath) throws Exception {
        Files.createDirectories(file.getParent());
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (manifestClassPath != null) m.getMainAttributes().put(Attributes.Name.CLASS_PATH, manifestClassPath);
        try (OutputStream out = Files.newOutputStream(file); JarOutputStream j = new JarOutputStream(out, m)) {
            j.flush();
        }
        return file;
    }

    static String join(Path... paths) {
        return String.join(File.pathSeparator, java.util.Arrays.stream(paths).map(p -> p.toAbsolutePath().normalize().toString()).toList());
    }

    @Test
    void notebookLayoutUsesTheJarAndTheDependencyFolderBesideIt(@TempDir Path dir) throws Exception {
        Path lib = jar(dir.resolve("lib/target/etlab.jar"), null);
        Path a = jar(dir.resolve("lib/target/dependency/a.jar"), null);
        Path b = jar(dir.resolve("lib/target/dependency/b.jar"), null);
        Files.writeString(dir.resolve("lib/target/dependency/notes.txt"), "not a jar");
        Path kernel = jar(dir.resolve("kernel/jjava.jar"), null);
        // the kernel's java.class.path does not mention the library (jars were added to a class loader)
        String cp = ChildClasspath.resolve(lib, kernel.toString(), List.of(lib, a));
        assertEquals(join(lib, a, b), cp);
    }

    @Test
    void aClassPathThatAlreadyHoldsTheLibraryIsUsedAsIs(@TempDir Path dir) throws Exception {
        Path classes = Files.createDirectories(dir.resolve("lib/target/classes"));
        Path dep = jar(dir.resolve("repo/nd4j.jar"), null);
        String declared = classes + File.pathSeparator + dep;
        assertEquals(declared, ChildClasspath.resolve(classes, declared, List.of()));
    }

    @Test
    void aManifestOnlyJarThatReachesTheLibraryCounts(@TempDir Path dir) throws Exception {
        Path classes = Files.createDirectories(dir.resolve("lib/target/classes"));
        Path booter = jar(dir.resolve("surefire/booter.jar"), classes.toUri() + " " + dir.resolve("repo/x.jar").toUri());
        assertEquals(booter.toString(), ChildClasspath.resolve(classes, booter.toString(), List.of()));
        assertTrue(ChildClasspath.expandManifests(List.of(booter)).contains(classes.toAbsolutePath().normalize()));
    }

    @Test
    void classesFolderWithDependencyFolderBesideIt(@TempDir Path dir) throws Exception {
        Path classes = Files.createDirectories(dir.resolve("lib/target/classes"));
        Path a = jar(dir.resolve("lib/target/dependency/a.jar"), null);
        Path other = jar(dir.resolve("elsewhere/app.jar"), null);
        assertEquals(join(classes, a), ChildClasspath.resolve(classes, other.toString(), List.of()));
    }

    @Test
    void otherwiseTheLibraryTheLoaderEntriesAndTheDeclaredPath(@TempDir Path dir) throws Exception {
        Path lib = jar(dir.resolve("somewhere/etlab.jar"), null);
        Path nd4j = jar(dir.resolve("m2/nd4j.jar"), null);
        Path kernel = jar(dir.resolve("kernel/jjava.jar"), null);
        assertEquals(join(lib, nd4j, kernel), ChildClasspath.resolve(lib, kernel.toString(), List.of(lib, nd4j)));
    }

    @Test
    void thisTestJvmResolvesToAPathHoldingTheLibrary() {
        String cp = ChildClasspath.resolve();
        Path self = ChildClasspath.librarySource().toAbsolutePath().normalize();
        List<Path> entries = java.util.Arrays.stream(cp.split(File.pathSeparator)).map(s -> Path.of(s).toAbsolutePath().normalize()).toList();
        assertTrue(ChildClasspath.expandManifests(entries).contains(self), cp);
    }
}
