package dev.etlab.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs one benchmark's points, length by length (every mode at one length before the next
 * length), applying {@link SkipRules} before each, and reports each point as it finishes.
 */
final class Sweep {
    private final PointExecutor executor;
    private final SkipRules rules;
    private final Consumer<BenchmarkPoint> listener;

    Sweep(PointExecutor executor, SkipRules rules, Consumer<BenchmarkPoint> listener) {
        this.executor = executor;
        this.rules = rules;
        this.listener = listener;
    }

    /** The points in run order: ascending length, modes in the given order at each length. */
    List<BenchmarkPoint> run(BenchmarkSetup setup, List<Integer> lengths, List<Mode> modes) {
        List<BenchmarkPoint> all = new ArrayList<>();
        List<BenchmarkPoint> failed = new ArrayList<>();
        for (int length : Lengths.checked(lengths)) {
            for (Mode mode : modes) {
                List<BenchmarkPoint> earlier = all.stream().filter(p -> p.mode() == mode).toList();
                List<BenchmarkPoint> failedEarlier = failed.stream().filter(p -> p.mode() == mode).toList();
                BenchmarkPoint point = rules.reasonToSkip(setup, length, earlier, failedEarlier)
                    .map(reason -> BenchmarkPoint.skipped(setup, mode, length, reason))
                    .orElseGet(() -> {
                        BenchmarkPoint ran = executor.run(setup, mode, length);
                        if (!ran.measured()) failed.add(ran);
                        return ran;
                    });
                all.add(point);
                listener.accept(point);
            }
        }
        return all;
    }
}
