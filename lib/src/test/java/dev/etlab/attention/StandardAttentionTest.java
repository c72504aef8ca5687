package dev.etlab.attention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.ParamStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Standard attention against a loop-by-loop implementation of Eq. (1), written independently here. */
class StandardAttentionTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    /** softmax(q kᵀ / √dh) v for one sequence, with explicit loops, heads split by column blocks. */
    static double[][] naive(double[][] x, ParamStore p, int heads, boolean causal, boolean[] keep) {
        int t = x.length, d = x[0].length, dh = d / heads;
        double[][] q = project(x, p.get("attn.wq"), p.get("attn.bq"));
        double[][] k = project(x, p.get("attn.wk"), p.get("attn.bk"));
        double[][] v = project(x, p.get("attn.wv"), p.get("attn.bv"));
        double[][] concat = new double[t][d];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < t; i++) {
                double[] s = new double[t];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    if ((causal && j > i) || (keep != null && !keep[j])) { s[j] = Double.NEGATIVE_INFINITY; continue; }
                    double dot = 0;
                    for (int c = 0; c < dh; c++) dot += q[i][h * dh + c] * k[j][h * dh + c];
                    s[j] = dot / Math.sqrt(dh);
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j < t; j++) z += s[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(s[j] - max);
                for (int j = 0; j < t; j++) {
                    double w = s[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(s[j] - max) / z;
                    for (int c = 0; c < dh; c++) concat[i][h * dh + c] += w * v[j][h * dh + c];
                }
            }
        }
        return project(concat, p.get("attn.wo"), p.get("attn.bo"));
    }

    static double[][] project(double[][] x, INDArray w, INDArray b) {
        double[][] wd = w.toDoubleMatrix();
        double[] bd = b.toDoubleVector();
        double[][] out = new double[x.length][wd[0].length];
        for (int i = 0; i < x.length; i++)
            for (int o = 0; o < wd[0].length; o++) {
                double s = bd[o];
                for (int c = 0; c < x[0].length; c++) s += x[i][c] * wd[c][o];
                out[i][o] = s;
            }
        return out;
    }

    void compare(boolean causal, boolean padded) {
        int t = 7, d = 12, heads = 3;
        Attention a = new StandardAttention.Config().build(new AttentionDims(d, heads, t, causal));
        ParamStore p = new ParamStore(DataType.DOUBLE, 21);
        a.declare(p, "attn.");
        INDArray x = TestData.normal(22, DataType.DOUBLE, 1, t, d);
        boolean[] keep = null;
        INDArray pad = null;
        if (padded) {
            keep = new boolean[] {true, true, true, true, true, false, false};
            pad = Nd4j.create(new double[][] {{1, 1, 1, 1, 1, 0, 0}});
        }
        INDArray y = a.forward(p, "attn.", x, pad);
        double[][] expected = naive(x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)).toDoubleMatrix(), p, heads, causal, keep);
        double diff = TestData.maxAbsDiff(y.reshape(t, d), Nd4j.create(expected));
        assertTrue(diff < 1e-12, "library vs loop implementation differ by " + diff);
    }

    @Test void matchesLoopsBidirectional() { compare(false, false); }
    @Test void matchesLoopsCausal() { compare(true, false); }
    @Test void matchesLoopsWithPadding() { compare(false, true); }
    @Test void matchesLoopsCausalWithPadding() { compare(true, true); }

    @Test
    void attentionRowsSumToOneAndCausalRowsAreLowerTriangular() {
        Attention a = new StandardAttention.Config().build(new AttentionDims(8, 2, 6, true));
        ParamStore p = new ParamStore(DataType.DOUBLE, 23);
        a.declare(p, "attn.");
        var ops = dev.etlab.tensor.NdOps.recording(p, DataType.DOUBLE);
        a.apply(ops, "attn.", TestData.normal(24, DataType.DOUBLE, 1, 6, 8), null);
        INDArray probs = ops.recorded().get("attn.probs"); // (1, 2, 6, 6)
        assertTrue(probs.sum(3).sub(1.0).amaxNumber().doubleValue() < 1e-12, "rows sum to 1");
        for (int i = 0; i < 6; i++)
            for (int j = i + 1; j < 6; j++)
                assertTrue(probs.getDouble(0, 1, i, j) == 0.0, "weight on future key " + j + " from query " + i);
    }
}
