package dev.etlab.speech;

import dev.etlab.Check;
import dev.etlab.tensor.Ops;
import java.util.Arrays;

/** Shape checks shared by the layers of this package: x is (B, T, C) with T ≥ 1 and the expected C. */
final class Frames {
    private Frames() {}

    static <T> void check(Ops<T> ops, T x, long channels) {
        long[] s = ops.shape(x);
        Check.arg(s.length == 3, "x", "tensor of shape " + Arrays.toString(s), "rank 3 (batch, time, channels)");
        Check.arg(s[1] >= 1, "time", s[1], "at least one frame on axis 1 of x (shape " + Arrays.toString(s) + ")");
        Check.arg(s[2] == channels, "channels", s[2], channels + " on axis 2 of x (shape " + Arrays.toString(s) + ")");
    }
}
