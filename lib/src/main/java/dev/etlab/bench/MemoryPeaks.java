package dev.etlab.bench;

/**
 * Peak memory of one measured piece of work, each above the baseline taken when measuring began.
 *
 * @param rssBytes    resident memory (VmHWM after resetting it, minus VmRSS at the start); -1 where unavailable
 * @param heapBytes   JVM heap occupancy, garbage included: the sum of the heap pools' peak usage minus the heap in use at the start
 * @param nativeBytes ND4J off-heap arrays ({@link NativeMemory}), sampled about every millisecond
 */
record MemoryPeaks(long rssBytes, long heapBytes, long nativeBytes) {}
