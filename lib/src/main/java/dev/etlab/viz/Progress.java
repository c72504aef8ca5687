package dev.etlab.viz;

/**
 * A progress bar for long loops. In a Jupyter notebook it is one HTML display updated in place
 * (at most about four times a second, plus the final state); on an interactive terminal it is a
 * terminal progress bar on stderr; when output goes to a log (CI, Maven surefire) it is at most
 * ten plain lines per bar. {@code ETLAB_PROGRESS=off} (environment variable or system property
 * {@code etlab.progress}) silences all bars; {@code plain} forces plain lines. Close it when the
 * loop ends (try-with-resources). Meant for one producer thread.
 *
 * <pre>{@code
 * try (Progress p = Progress.start("training standard", steps)) {
 *     for (int s = 1; s <= steps; s++) {
 *         double loss = trainStep();
 *         p.update(s, String.format("loss %.3f", loss));
 *     }
 * }
 * }</pre>
 */
public interface Progress extends AutoCloseable {

    /** Sets the number of units done and a short status text (e.g. "loss 1.23"). */
    void update(long done, String status);

    /** Sets the number of units done, keeping the last status text. */
    default void update(long done) {
        update(done, null);
    }

    @Override
    void close();

    /** A bar for {@code total} units (0 or less: unknown total), in the notebook if one is running, else on the console. */
    static Progress start(String label, long total) {
        return ProgressBars.start(label, total);
    }

    /** A bar that shows nothing. */
    static Progress silent() {
        return ProgressBars.SILENT;
    }
}
