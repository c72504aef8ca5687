package dev.etlab.viz;

/**
 * A progress bar for long loops. In a Jupyter notebook it is one display updated in place; on a
 * console it is a terminal progress bar. Close it when the loop ends (try-with-resources).
 */
public interface Progress extends AutoCloseable {

    /** Sets the number of units done and a short status text (e.g. "loss 1.23"). */
    void update(long done, String status);

    @Override
    void close();

    /** A bar for {@code total} units, in the notebook if one is running, else on the console. */
    static Progress start(String label, long total) {
        return ProgressBars.start(label, total);
    }
}
