package dev.etlab.bench;

import dev.etlab.Check;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Sequence lengths to benchmark. */
public final class Lengths {
    private Lengths() {}

    /** {@code from}, 2·from, 4·from, … up to and including {@code to} if it is reached: doubling(256, 2048) = [256, 512, 1024, 2048]. */
    public static List<Integer> doubling(int from, int to) {
        Check.positive("from", from);
        Check.arg(to >= from, "to", to, "a length ≥ from = " + from);
        List<Integer> out = new ArrayList<>();
        for (long t = from; t <= to; t *= 2) out.add((int) t);
        return List.copyOf(out);
    }

    /** The given lengths, checked (each positive, no repeats) and sorted ascending. */
    public static List<Integer> of(int... lengths) {
        Check.arg(lengths != null && lengths.length > 0, "lengths", lengths == null ? null : List.of(), "at least one length");
        return checked(Arrays.stream(lengths).boxed().toList());
    }

    /** Checks a list of lengths and returns it sorted ascending. */
    public static List<Integer> checked(List<Integer> lengths) {
        Check.arg(lengths != null && !lengths.isEmpty(), "lengths", lengths, "at least one length");
        for (Integer t : lengths) {
            Check.arg(t != null && t > 0, "length", t, "a positive sequence length (in " + lengths + ")");
        }
        Check.arg(lengths.stream().distinct().count() == lengths.size(), "lengths", lengths, "no length twice");
        return lengths.stream().sorted().toList();
    }
}
