package dev.etlab.bench;

import java.util.Arrays;
import java.util.Locale;

/** What a benchmark point times. */
public enum Mode {
    /** Inference: the eager INDArray forward pass. */
    FORWARD,
    /** Training: the forward pass plus gradients of every parameter and the input, on the training tape. */
    FORWARD_BACKWARD;

    public String label() {
        return this == FORWARD ? "forward" : "forward+backward";
    }

    /**
     * The mode named by its {@link #label()} ({@code forward}, {@code forward+backward}) or its enum
     * name ({@code FORWARD_BACKWARD}), case-insensitively; {@code backward} and {@code fb} also name
     * {@link #FORWARD_BACKWARD}.
     */
    public static Mode parse(String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        for (Mode m : values()) {
            if (t.equals(m.label()) || t.equals(m.name().toLowerCase(Locale.ROOT))) return m;
        }
        if (t.equals("backward") || t.equals("fb") || t.equals("forward-backward")) return FORWARD_BACKWARD;
        throw new IllegalArgumentException("mode = \"" + text + "\": expected one of "
            + Arrays.stream(values()).map(Mode::label).toList());
    }
}
