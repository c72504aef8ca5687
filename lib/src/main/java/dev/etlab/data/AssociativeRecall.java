package dev.etlab.data;

import dev.etlab.Check;
import dev.etlab.nn.Head;
import java.util.Random;

/**
 * Associative recall: after n key–value pairs k₁v₁ … kₙvₙ, a separator and a query key q, predict
 * the value stored under q (Ba et al. 2016, "Using Fast Weights to Attend to the Recent Past";
 * a standard probe of in-context retrieval). Causal language modelling; only the final prediction counts.
 *
 * <p>Ids: 0 = padding, 1 = separator, then {@code keys} key ids, then {@code values} value ids.
 * T = 2n + 2. Keys within one sequence are distinct.
 */
public final class AssociativeRecall extends SyntheticTask {
    public static final int SEP = 1;

    private final int keys;
    private final int values;

    /**
     * @param seqLen T, even, ≥ 4 (n = (T − 2) / 2 pairs)
     * @param keys   key alphabet, ≥ n
     * @param values value alphabet
     */
    public AssociativeRecall(int seqLen, int keys, int values, long seed) {
        super(seqLen, seed, 256);
        Check.arg(seqLen >= 4 && seqLen % 2 == 0, "seqLen", seqLen, "an even length >= 4 (pairs, separator, query)");
        int pairs = (seqLen - 2) / 2;
        Check.arg(keys >= pairs, "keys", keys, "at least the number of pairs (" + pairs + ") so keys can be distinct");
        Check.arg(values >= 2, "values", values, "at least 2");
        this.keys = keys;
        this.values = values;
    }

    /** 26 keys (or as many as pairs need), 10 values. */
    public static AssociativeRecall of(int seqLen, long seed) {
        return new AssociativeRecall(seqLen, Math.max(26, (seqLen - 2) / 2), 10, seed);
    }

    @Override public String name() { return "recall-" + seqLen; }
    @Override public Head head() { return Head.CAUSAL_LM; }
    @Override public int vocabSize() { return 2 + keys + values; }
    @Override public int numClasses() { return 0; }
    @Override public boolean padded() { return false; }

    private int key(int k) { return 2 + k; }
    private int value(int v) { return 2 + keys + v; }

    @Override
    protected Example generate(Random rng) {
        int n = (seqLen - 2) / 2;
        int[] order = new int[keys];
        for (int i = 0; i < keys; i++) order[i] = i;
        for (int i = 0; i < n; i++) { // partial Fisher–Yates: n distinct keys
            int j = i + rng.nextInt(keys - i);
            int t = order[i]; order[i] = order[j]; order[j] = t;
        }
        int[] full = new int[seqLen + 1];
        int[] stored = new int[n];
        for (int i = 0; i < n; i++) {
            stored[i] = rng.nextInt(values);
            full[2 * i] = key(order[i]);
            full[2 * i + 1] = value(stored[i]);
        }
        int q = rng.nextInt(n);
        full[2 * n] = SEP;
        full[2 * n + 1] = key(order[q]);
        full[2 * n + 2] = value(stored[q]);
        float[] loss = new float[seqLen];
        loss[seqLen - 1] = 1f;
        return new Example(java.util.Arrays.copyOfRange(full, 0, seqLen), java.util.Arrays.copyOfRange(full, 1, seqLen + 1), loss, -1);
    }

    @Override
    public String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) {
            if (t == 0) sb.append('_');
            else if (t == SEP) sb.append(" ? ");
            else if (t < 2 + keys) sb.append(keys <= 26 ? String.valueOf((char) ('a' + t - 2)) : "k" + (t - 2) + " ");
            else sb.append(t - 2 - keys).append(keys <= 26 ? "" : " ");
        }
        return sb.toString().strip();
    }
}
