/**
 * Benchmark harness: wall time and peak memory of attention mechanisms against sequence length.
 *
 * <pre>{@code
 * List<BenchmarkPoint> points = AttentionBenchmark.runAll(
 *     AttentionBenchmark.of(new StandardAttention.Config()).lengths(Lengths.doubling(256, 2048)),
 *     AttentionBenchmark.of("standard").causal(true).lengths(Lengths.doubling(256, 2048)));
 * Table table = BenchmarkTable.of(points);                                   // for plots
 * Slope s = Slope.fit(points, "standard", Mode.FORWARD, Metric.MEMORY, 1024, 2048);
 * BenchmarkCsv.write(Path.of("build/bench/standard.csv"), points);
 * }</pre>
 *
 * <h2>What is measured</h2>
 * One point is one mechanism, one {@link dev.etlab.bench.Mode} and one length T, with batch B,
 * width D and H heads, in float32:
 * <ul>
 *   <li>{@link dev.etlab.bench.Mode#FORWARD}: the eager forward pass
 *       ({@link dev.etlab.attention.Attention#forward}) on a random (B, T, D) input.</li>
 *   <li>{@link dev.etlab.bench.Mode#FORWARD_BACKWARD}: the gradients of L = Σ out ⊙ R (R fixed,
 *       random) with respect to every trainable parameter and the input, on the training engine
 *       ({@link dev.etlab.tensor.TapeOps}, without the trainer's step workspace, so ND4J's counter
 *       sees every array): the forward pass and the backward pass, as training runs them.</li>
 * </ul>
 * Building the layer, parameters, input and graph is not timed. After {@code warmups} untimed
 * runs, {@code repeats} runs are timed one by one with {@link System#nanoTime()}; the point reports
 * their median and minimum. Garbage is collected before every run, untimed (ND4J frees an array's
 * off-heap memory only when its Java object is collected).
 *
 * <p>Memory is the peak above a baseline taken after a collection, before the point's workload is
 * built; it therefore includes parameters, input and graph as well as activations, gradients and
 * temporaries:
 * <ul>
 *   <li>{@code peakRssBytes}: resident memory of the process, from the kernel's high-water mark
 *       (VmHWM), reset through {@code /proc/self/clear_refs} at the baseline and before every run;
 *       the larger of the build phase's peak and the median of the timed runs' peaks.
 *       All-inclusive: ND4J arrays, native temporaries ND4J does not count, BLAS buffers, JVM heap
 *       pages touched. Below a few tens of MiB the JVM's own activity (its compiler's memory)
 *       still moves it by several MiB; ND4J's figure is the steadier one there.</li>
 *   <li>{@code peakHeapBytes}: JVM heap occupancy, garbage included (the sum of the heap pools'
 *       peaks): the Java-side bookkeeping, which is small.</li>
 *   <li>{@code peakNativeBytes}: ND4J's off-heap arrays as libnd4j counts them (see
 *       {@code NativeMemory}), sampled about every millisecond, so peaks shorter than that can be
 *       missed at small T.</li>
 * </ul>
 *
 * <h2>Isolation</h2>
 * {@link dev.etlab.bench.Isolation}: a fresh child JVM per point, one child JVM for a series of
 * points with tracking reset between them (the default for notebooks), or this JVM. Before each
 * point and each run, garbage is collected until ND4J's buffers are freed and glibc's free memory
 * is trimmed, so nothing freed earlier can be reused without showing in the peak. Child JVMs get
 * {@code MALLOC_ARENA_MAX=1} and a heap that does not shrink ({@code -XX:MaxHeapFreeRatio=100}).
 *
 * <p>No collection is forced during a run, and the harness allocates nothing on the heap while
 * sampling, so a run's peak includes every array the pass creates and does not close: ND4J frees
 * an array's memory only when its object is collected, and a pass rarely fills the young
 * generation. A training loop whose heap churn triggers collections mid-pass can peak lower.
 *
 * <h2>Skipped points</h2>
 * Lengths predicted to exceed the memory cap, lengths after a shorter one failed or exceeded the
 * time budget, and points that failed (out of memory, a child JVM that died) are returned as
 * skipped points with the reason, never thrown.
 */
package dev.etlab.bench;
