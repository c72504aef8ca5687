package dev.etlab.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.NdOps;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The dense-mask oracle itself: its label, its refusal of non-sparse configs, its causal handling, its mask. */
class DenseMaskAttentionTest {
    static final int D = 8, H = 2, N = 10;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static ParamStore params(Attention a, long seed) {
        ParamStore p = new ParamStore(DataType.DOUBLE, seed);
        a.declare(p, "a.");
        return p;
    }

    @Test
    void isLabelledAsTheDenseMaskOfItsPatternAndRefusesConfigsWithoutOne() {
        DenseMaskAttention.Config c = new DenseMaskAttention.Config(Longformer.Config.of(4));
        assertEquals("longformer (dense mask)", c.kind());
        assertEquals("longformer (dense mask)", c.build(new AttentionDims(D, H, N, false)).name());
        var standard = assertThrows(IllegalArgumentException.class, () -> new DenseMaskAttention.Config(new StandardAttention.Config()));
        assertEquals("pattern = standard: expected the config of a sparse mechanism (one implementing SparsePattern)", standard.getMessage());
        var none = assertThrows(IllegalArgumentException.class, () -> new DenseMaskAttention.Config(null));
        assertTrue(none.getMessage().startsWith("pattern = null: expected"), none.getMessage());
    }

    @Test
    void anAllowEverythingPatternIsStandardAttentionBidirectionalAndCausal() {
        for (boolean causal : new boolean[] {false, true}) {
            AttentionDims dims = new AttentionDims(D, H, N, causal);
            Attention dense = new DenseMaskAttention.Config(Longformer.Config.of(N)).build(dims);  // window N: every pair allowed
            assertEquals((long) N * N, Longformer.Config.of(N).allowedPairs(N, false));
            ParamStore p = params(dense, 1);
            INDArray x = TestData.normal(2, DataType.DOUBLE, 2, N, D);
            INDArray pad = Nd4j.ones(DataType.DOUBLE, 2, N);
            pad.get(NDArrayIndex.point(1), NDArrayIndex.interval(N - 3, N)).assign(0);
            INDArray expected = new StandardAttention.Config().build(dims).forward(p, "a.", x, pad);
            double diff = TestData.maxAbsDiff(dense.forward(p, "a.", x, pad), expected);
            assertTrue(diff < 1e-12, "causal=" + causal + ": differs from standard attention by " + diff);
        }
    }

    @Test
    void weightsAreZeroExactlyWhereThePatternForbidsAndCausalAddsTheFutureToThat() {
        Longformer.Config pattern = Longformer.Config.of(2).withDilation(2).withGlobal(3);
        for (boolean causal : new boolean[] {false, true}) {
            Attention dense = new DenseMaskAttention.Config(pattern).build(new AttentionDims(D, H, N, causal));
            ParamStore p = params(dense, 3);
            NdOps ops = NdOps.recording(p, DataType.DOUBLE);
            dense.apply(ops, "a.", ops.constant(TestData.normal(4, DataType.DOUBLE, 1, N, D)), null);
            INDArray probs = ops.recorded().get("a.probs");                                      // (1, H, T, T)
            boolean[][] allowed = pattern.matrix(N, causal);
            for (int h = 0; h < H; h++)
                for (int i = 0; i < N; i++)
                    for (int j = 0; j < N; j++) {
                        double w = probs.getDouble(0, h, i, j);
                        boolean expected = pattern.allows(i, j, N, causal) && (!causal || j <= i);
                        assertEquals(expected, allowed[i][j]);
                        assertTrue(expected ? w > 0 : w == 0, "head " + h + " (" + i + ", " + j + ") weight " + w + ", allowed " + expected);
                    }
        }
    }
}
