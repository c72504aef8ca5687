package dev.etlab.data;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the data the setup fetched lives: one rule for every kind of data under {@code data/}. */
final class DataDirectory {
    private DataDirectory() {}

    /**
     * {@code $ETLAB_DATA/<name>} if set, else {@code data/<name>} under {@code $ETLAB_ROOT} or the
     * nearest parent of the working directory that has one (notebooks run in {@code notebooks/},
     * tests in {@code lib/}); failing all, {@code data/<name>} under the working directory.
     */
    static Path of(String name) {
        String data = System.getenv("ETLAB_DATA");
        if (data != null && !data.isBlank()) return Path.of(data, name);
        String root = System.getenv("ETLAB_ROOT");
        if (root != null && !root.isBlank()) return Path.of(root, "data", name);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("data").resolve(name))) return p.resolve("data").resolve(name);
        }
        return Path.of("data", name).toAbsolutePath();
    }
}
