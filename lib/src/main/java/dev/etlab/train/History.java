package dev.etlab.train;

import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Table;

/**
 * What a training run measured, one row per step, as a Tablesaw table with columns
 * {@code step, loss, accuracy, lr, tokens_per_s, wall_s, val_loss, val_accuracy}. Validation
 * columns are NaN on steps without an evaluation. {@code wall_s} is the time since the run began.
 */
public final class History {
    public static final String STEP = "step", LOSS = "loss", ACCURACY = "accuracy", LR = "lr",
        TOKENS_PER_S = "tokens_per_s", WALL_S = "wall_s", VAL_LOSS = "val_loss", VAL_ACCURACY = "val_accuracy";

    private final String label;
    private final Table table;

    public History(String label) {
        this.label = label;
        this.table = Table.create(label,
            IntColumn.create(STEP), DoubleColumn.create(LOSS), DoubleColumn.create(ACCURACY), DoubleColumn.create(LR),
            DoubleColumn.create(TOKENS_PER_S), DoubleColumn.create(WALL_S),
            DoubleColumn.create(VAL_LOSS), DoubleColumn.create(VAL_ACCURACY));
    }

    /** The run's name, used in legends (e.g. "standard"). */
    public String label() {
        return label;
    }

    public Table table() {
        return table;
    }

    public int size() {
        return table.rowCount();
    }

    void addStep(int step, double loss, double accuracy, double lr, double tokensPerSecond, double wallSeconds) {
        table.intColumn(STEP).append(step);
        table.doubleColumn(LOSS).append(loss);
        table.doubleColumn(ACCURACY).append(accuracy);
        table.doubleColumn(LR).append(lr);
        table.doubleColumn(TOKENS_PER_S).append(tokensPerSecond);
        table.doubleColumn(WALL_S).append(wallSeconds);
        table.doubleColumn(VAL_LOSS).append(Double.NaN);
        table.doubleColumn(VAL_ACCURACY).append(Double.NaN);
    }

    /** Records an evaluation on the most recent step's row. */
    void addValidation(double loss, double accuracy) {
        int last = table.rowCount() - 1;
        table.doubleColumn(VAL_LOSS).set(last, loss);
        table.doubleColumn(VAL_ACCURACY).set(last, accuracy);
    }

    /** A column's values as an array (NaN kept). */
    public double[] column(String name) {
        return name.equals(STEP) ? table.intColumn(STEP).asDoubleArray() : table.doubleColumn(name).asDoubleArray();
    }

    /** Rows that carry a validation result: {step, val_loss, val_accuracy, wall_s}. */
    public double[][] validationRows() {
        return table.stream().filter(r -> !Double.isNaN(r.getDouble(VAL_LOSS)))
            .map(r -> new double[] {r.getInt(STEP), r.getDouble(VAL_LOSS), r.getDouble(VAL_ACCURACY), r.getDouble(WALL_S)})
            .toArray(double[][]::new);
    }

    /** Median wall time per step in milliseconds, over steps after the first (which includes graph building). */
    public double medianStepMillis() {
        double[] wall = column(WALL_S);
        if (wall.length < 3) return Double.NaN;
        double[] d = new double[wall.length - 2];
        for (int i = 2; i < wall.length; i++) d[i - 2] = (wall[i] - wall[i - 1]) * 1000;
        java.util.Arrays.sort(d);
        return d.length % 2 == 1 ? d[d.length / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
    }
}
