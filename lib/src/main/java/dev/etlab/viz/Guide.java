package dev.etlab.viz;

import java.awt.BasicStroke;

/** Reference growth curves drawn as dashed grey guides on a log-log complexity chart. */
public enum Guide {
    LINEAR("O(n)"),
    N_LOG_N("O(n log n)"),
    N_SQRT_N("O(n√n)"),
    QUADRATIC("O(n²)");

    private final String label;

    Guide(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The growth function, up to a constant. */
    public double f(double n) {
        return switch (this) {
            case LINEAR -> n;
            case N_LOG_N -> n * Math.log(n);
            case N_SQRT_N -> n * Math.sqrt(n);
            case QUADRATIC -> n * n;
        };
    }

    BasicStroke stroke() {
        return switch (this) {
            case LINEAR -> new BasicStroke(1.4f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);
            case N_LOG_N -> new BasicStroke(1.4f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10f, new float[] {1.5f, 4f}, 0f);
            case N_SQRT_N -> new BasicStroke(1.4f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {9f, 3f, 2f, 3f}, 0f);
            case QUADRATIC -> new BasicStroke(1.4f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {14f, 5f}, 0f);
        };
    }
}
