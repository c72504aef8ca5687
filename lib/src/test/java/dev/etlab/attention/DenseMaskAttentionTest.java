package dev.etlab.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.ParamStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The dense-mask oracle itself: labelled as such, standard attention when everything is allowed, the pattern's zeros where it forbids. */
class DenseMaskAttentionTest {
    static final int D = 8, H = 2, N = 9;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    @Test
    void isLabelledAsTheDenseMaskOfItsPattern() {
        var c = new DenseMaskAttention.Config(SparseTransformer.Config.strided(4));
        assertEquals("sparse transformer (dense mask)", c.kind());
        assertTrue(c.supportsCausal());
        assertEquals("pattern = standard: expected the config of a sparse mechanism (one implementing SparsePattern)",
            assertThrows(IllegalArgumentException.class, () -> new DenseMaskAttention.Config(new StandardAttention.Config())).getMessage());
        assertEquals("pattern = null: expected the config of a sparse mechanism (one implementing SparsePattern)",
            assertThrows(IllegalArgumentException.class, () -> new DenseMaskAttention.Config(null)).getMessage());
    }

    @Test
    void anAllowEverythingPatternIsStandardAttention() {
        ParamStore p = new ParamStore(DataType.DOUBLE, 1);
        new StandardAttention.Config().build(new AttentionDims(D, H, N, false)).declare(p, "a.");
        INDArray x = TestData.normal(2, DataType.DOUBLE, 2, N, D);
        INDArray pad = Nd4j.ones(DataType.DOUBLE, 2, N);
        pad.putScalar(1, N - 1, 0.0);
        for (boolean causal : new boolean[] {true, false}) {
            AttentionDims dims = new AttentionDims(D, H, N, causal);
            INDArray standard = new StandardAttention.Config().build(dims).forward(p, "a.", x, pad);
            INDArray masked = new DenseMaskAttention.Config(SparseTransformer.Config.strided(N)).build(dims).forward(p, "a.", x, pad);
            double diff = TestData.maxAbsDiff(standard, masked);
            assertTrue(diff < 1e-12, "causal=" + causal + ": differs from standard attention by " + diff);
        }
    }

    @Test
    void forbiddenPairsGetZeroWeight() {
        AttentionDims dims = new AttentionDims(D, H, N, true);
        SparseTransformer.Config pattern = SparseTransformer.Config.fixed(3, 1);
        Attention a = new DenseMaskAttention.Config(pattern).build(dims);
        ParamStore p = new ParamStore(DataType.DOUBLE, 3);
        a.declare(p, "a.");
        var ops = dev.etlab.tensor.NdOps.recording(p, DataType.DOUBLE);
        a.apply(ops, "a.", TestData.normal(4, DataType.DOUBLE, 1, N, D), null);
        INDArray probs = ops.recorded().get("a.probs");                 // (1, H, N, N)
        boolean[][] allowed = pattern.matrix(N, true);
        for (int h = 0; h < H; h++)
            for (int i = 0; i < N; i++) {
                double rowSum = 0;
                for (int j = 0; j < N; j++) {
                    double w = probs.getDouble(0, h, i, j);
                    rowSum += w;
                    if (!allowed[i][j]) assertEquals(0.0, w, "weight of forbidden pair (" + i + ", " + j + ")");
                    else assertTrue(w > 0, "allowed pair (" + i + ", " + j + ") has weight " + w);
                }
                assertEquals(1.0, rowSum, 1e-12);
            }
    }
}
