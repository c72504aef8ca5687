package dev.etlab.viz;

import dev.etlab.bench.BenchmarkPoint;
import dev.etlab.bench.Mode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/** Synthetic inputs shared by the viz tests, and a place to drop images for a person to look at. */
final class VizFixtures {
    private VizFixtures() {}

    static final Path OUT = Path.of("target", "viz-test");

    static BenchmarkPoint point(String mech, Mode mode, int n, double ms, long rss) {
        return new BenchmarkPoint(mech, mode, n, 4, 128, 4, ms, ms * 0.95, 5, rss, rss / 10, rss / 2, null);
    }

    static BenchmarkPoint skipped(String mech, Mode mode, int n, String why) {
        return new BenchmarkPoint(mech, mode, n, 4, 128, 4, Double.NaN, Double.NaN, 0, 0, 0, 0, why);
    }

    /** standard: exact n² time and memory; linformer: exact n; standard 16384 skipped. */
    static List<BenchmarkPoint> powerLaws() {
        List<BenchmarkPoint> p = new ArrayList<>();
        for (int n = 256; n <= 8192; n *= 2) {
            p.add(point("standard", Mode.FORWARD, n, 2e-5 * n * n, (long) (48.0 * n * n)));
            p.add(point("linformer", Mode.FORWARD, n, 0.004 * n, (long) (400_000.0 * n)));
            p.add(point("standard", Mode.FORWARD_BACKWARD, n, 6e-5 * n * n, (long) (150.0 * n * n)));
        }
        p.add(skipped("standard", Mode.FORWARD, 16384, "predicted 18 GiB > cap"));
        p.add(point("linformer", Mode.FORWARD, 16384, 0.004 * 16384, (long) (400_000.0 * 16384)));
        return p;
    }

    static BufferedImage read(Path png) throws IOException {
        return ImageIO.read(png.toFile());
    }

    static Path out(String name) throws IOException {
        Files.createDirectories(OUT);
        return OUT.resolve(name);
    }
}
