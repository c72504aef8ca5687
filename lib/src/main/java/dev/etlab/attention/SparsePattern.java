package dev.etlab.attention;

/**
 * Which keys each query may attend to. Implemented by the configs of sparse mechanisms, whose fast
 * paths compute only the allowed pairs; {@link DenseMaskAttention} applies the same pattern to a
 * full (n × n) score matrix — the test oracle and the labelled "masking alone saves nothing" contrast.
 */
public interface SparsePattern {

    /** Whether query i may attend key j in a sequence of n positions (for a causal layer, j ≤ i is also required). */
    boolean allows(int query, int key, int length, boolean causal);

    /** The whole (n × n) pattern: [query][key]. */
    default boolean[][] matrix(int length, boolean causal) {
        boolean[][] m = new boolean[length][length];
        for (int i = 0; i < length; i++)
            for (int j = 0; j < length; j++) m[i][j] = allows(i, j, length, causal) && (!causal || j <= i);
        return m;
    }

    /** Allowed (query, key) pairs, the quantity a sparse mechanism's cost grows with. */
    default long allowedPairs(int length, boolean causal) {
        long n = 0;
        for (boolean[] row : matrix(length, causal)) for (boolean b : row) if (b) n++;
        return n;
    }
}
