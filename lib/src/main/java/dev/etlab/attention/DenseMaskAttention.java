package dev.etlab.attention;

import dev.etlab.Check;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A sparse pattern applied the naive way: the full (n × n) score matrix, with forbidden pairs masked
 * before the softmax. Same result as the sparse mechanism's fast path (for the same projections), so
 * it is the tests' oracle; and it costs exactly what standard attention costs, which the notebooks
 * show — masking alone saves nothing. Labelled "&lt;kind&gt; (dense mask)" in tables and plots.
 */
public final class DenseMaskAttention extends SoftmaxAttention {

    /** @param pattern the sparse mechanism whose pattern is applied; its config must implement {@link SparsePattern} */
    public record Config(AttentionConfig pattern) implements AttentionConfig {
        public Config {
            Check.arg(pattern instanceof SparsePattern, "pattern", pattern == null ? null : pattern.kind(),
                "the config of a sparse mechanism (one implementing SparsePattern)");
        }

        @Override public String kind() { return pattern.kind() + " (dense mask)"; }
        @Override public boolean supportsCausal() { return pattern.supportsCausal(); }
        @Override public Attention build(AttentionDims dims) {
            Check.arg(!dims.causal() || pattern.supportsCausal(), "causal", true, "false: " + pattern.kind() + " has no causal form");
            return new DenseMaskAttention(this, dims);
        }
    }

    private final Config config;

    DenseMaskAttention(Config config, AttentionDims dims) {
        super(dims);
        this.config = config;
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    protected INDArray maskBias(long queries, long keys, DataType type) {
        Check.arg(queries == keys, "keys", keys, queries + " (self-attention: as many keys as queries)");
        boolean[][] allowed = ((SparsePattern) config.pattern()).matrix((int) queries, dims.causal());
        double[] bias = new double[Math.toIntExact(queries * keys)];
        for (int i = 0; i < queries; i++)
            for (int j = 0; j < keys; j++) bias[(int) (i * keys + j)] = allowed[i][j] ? 0 : Masks.NEG;
        return Nd4j.create(bias, new long[] {1, 1, queries, keys}, DataType.DOUBLE).castTo(type);
    }
}
