package dev.etlab.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.GradientCheck;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.TapeOps;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Transformer-XL's relative attention with memory: the rel shift, a per-pair oracle, recurrence, gradients, bad input. */
class RelativeAttentionTest {
    static final int B = 2, T = 5, M = 4, D = 8, H = 2;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static RelativeAttention layer(boolean shared) {
        return new RelativeAttention(new RelativeAttention.Config(shared), new AttentionDims(D, H, T + M, true));
    }

    static ParamStore params(RelativeAttention a, long seed) {
        ParamStore p = new ParamStore(DataType.DOUBLE, seed);
        a.declare(p, "attn.");
        return p;
    }

    @Test
    void relShiftPutsTheValueOfDistanceMPlusIMinusJAtKeyJ() {
        int t = 4, s = 7, offset = s - t;
        INDArray x = TestData.normal(1, DataType.DOUBLE, 2, 3, t, s);
        INDArray eager = RelativeAttention.relShift(NdOps.of(null, DataType.DOUBLE), x);
        INDArray tape = RelativeAttention.relShift(TapeOps.of(null, DataType.DOUBLE), TapeOps.of(null, DataType.DOUBLE).constant(x)).value();
        assertEquals(0.0, TestData.maxAbsDiff(eager, tape));
        int checked = 0;
        for (int b = 0; b < 2; b++)
            for (int h = 0; h < 3; h++)
                for (int i = 0; i < t; i++)
                    for (int j = 0; j <= offset + i; j++) {
                        int column = s - 1 - (offset + i - j);          // where distance offset + i − j sits in x
                        assertEquals(x.getDouble(b, h, i, column), eager.getDouble(b, h, i, j), 0.0, "i=" + i + " j=" + j);
                        checked++;
                    }
        assertEquals(2 * 3 * (t * (offset + 1) + t * (t - 1) / 2), checked);
        var fewKeys = assertThrows(IllegalArgumentException.class, () -> RelativeAttention.relShift(NdOps.of(null, DataType.DOUBLE), Nd4j.zeros(DataType.DOUBLE, 1, 1, 5, 4)));
        assertEquals("keys = 4: expected at least as many keys as queries (5)", fewKeys.getMessage());
    }

    /** The paper's score, A_ij = (q_i + u)·k_j + (q_i + v)·W_R R_{M+i−j}, one pair at a time, then softmax and the output projection. */
    static INDArray oracle(ParamStore p, INDArray x, INDArray memory) {
        long t = x.size(1), m = memory == null ? 0 : memory.size(1), s = m + t, dh = D / H;
        INDArray context = memory == null ? x : Nd4j.concat(1, memory, x);
        INDArray q = x.reshape(B * t, D).mmul(p.get("attn.wq")).addRowVector(p.get("attn.bq")).reshape(B, t, D);
        INDArray k = context.reshape(B * s, D).mmul(p.get("attn.wk")).addRowVector(p.get("attn.bk")).reshape(B, s, D);
        INDArray v = context.reshape(B * s, D).mmul(p.get("attn.wv")).addRowVector(p.get("attn.bv")).reshape(B, s, D);
        INDArray u = p.get("relpos.u"), vb = p.get("relpos.v"), wr = p.get("attn.wr");
        INDArray out = Nd4j.zeros(DataType.DOUBLE, B, t, D);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
                for (int i = 0; i < t; i++) {
                    double[] score = new double[(int) s];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < s; j++) {
                        long distance = m + i - j;
                        if (distance < 0) { score[j] = Double.NEGATIVE_INFINITY; continue; }
                        INDArray r = RelativeAttention.relativeSinusoid(distance + 1, D, DataType.DOUBLE).getRow(0).reshape(1, D).mmul(wr); // W_R R_distance
                        double a = 0;
                        for (int d = 0; d < dh; d++) {
                            int c = (int) (h * dh + d);
                            double qi = q.getDouble(b, i, c);
                            a += (qi + u.getDouble(h, d)) * k.getDouble(b, j, c) + (qi + vb.getDouble(h, d)) * r.getDouble(0, c);
                        }
                        score[j] = a / Math.sqrt(dh);
                        max = Math.max(max, score[j]);
                    }
                    double z = 0;
                    for (int j = 0; j < s; j++) z += score[j] = Math.exp(score[j] - max);
                    for (int d = 0; d < dh; d++) {
                        double acc = 0;
                        for (int j = 0; j < s; j++) acc += score[j] / z * v.getDouble(b, j, h * dh + d);
                        out.putScalar(new long[] {b, i, h * dh + d}, acc);
                    }
                }
        return out.reshape(B * t, D).mmul(p.get("attn.wo")).addRowVector(p.get("attn.bo")).reshape(B, t, D);
    }

    @Test
    void equalsThePerPairScoreOfThePaperWithAndWithoutMemory() {
        RelativeAttention a = layer(true);
        ParamStore p = params(a, 2);
        INDArray x = TestData.normal(3, DataType.DOUBLE, B, T, D), mem = TestData.normal(4, DataType.DOUBLE, B, M, D);
        assertTrue(TestData.maxAbsDiff(oracle(p, x, mem), a.forward(p, "attn.", x, mem, null)) < 1e-12);
        assertTrue(TestData.maxAbsDiff(oracle(p, x, null), a.forward(p, "attn.", x, null)) < 1e-12);
    }

    @Test
    void memoryOfTheEarlierStatesEqualsAttendingOverTheLongerSequence() {
        RelativeAttention a = layer(true);
        ParamStore p = params(a, 5);
        INDArray whole = TestData.normal(6, DataType.DOUBLE, B, M + T, D);
        INDArray mem = whole.get(NDArrayIndex.all(), NDArrayIndex.interval(0, M), NDArrayIndex.all()).dup();
        INDArray x = whole.get(NDArrayIndex.all(), NDArrayIndex.interval(M, M + T), NDArrayIndex.all()).dup();
        INDArray expected = a.forward(p, "attn.", whole, null).get(NDArrayIndex.all(), NDArrayIndex.interval(M, M + T), NDArrayIndex.all());
        assertTrue(TestData.maxAbsDiff(expected, a.forward(p, "attn.", x, mem, null)) < 1e-12);
        // a different memory changes every output (each query sees all of it), a changed future changes no earlier output
        INDArray other = a.forward(p, "attn.", x, mem.add(1.0), null);
        INDArray base = a.forward(p, "attn.", x, mem, null);
        for (int i = 0; i < T; i++) {
            INDArray row = base.get(NDArrayIndex.all(), NDArrayIndex.point(i), NDArrayIndex.all());
            assertTrue(TestData.maxAbsDiff(row, other.get(NDArrayIndex.all(), NDArrayIndex.point(i), NDArrayIndex.all())) > 1e-6, "query " + i);
        }
        INDArray future = x.dup();
        future.get(NDArrayIndex.all(), NDArrayIndex.interval(3, T), NDArrayIndex.all()).addi(2.0);
        INDArray changed = a.forward(p, "attn.", future, mem, null);
        assertEquals(0.0, TestData.maxAbsDiff(base.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3), NDArrayIndex.all()),
            changed.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3), NDArrayIndex.all())));
    }

    @Test
    void paddedSegmentKeysAreIgnoredWithMemory() {
        RelativeAttention a = layer(true);
        ParamStore p = params(a, 7);
        INDArray x = TestData.normal(8, DataType.DOUBLE, B, T, D), mem = TestData.normal(9, DataType.DOUBLE, B, M, D);
        INDArray pad = Nd4j.ones(DataType.DOUBLE, B, T);
        pad.get(NDArrayIndex.all(), NDArrayIndex.interval(3, T)).assign(0);
        INDArray changed = x.dup();
        changed.get(NDArrayIndex.all(), NDArrayIndex.interval(3, T), NDArrayIndex.all()).addi(3.0);
        // causal already hides later keys from queries < 3; padding must hide them from the padded queries' successors too: compare all
        INDArray y1 = a.forward(p, "attn.", x, mem, pad), y2 = a.forward(p, "attn.", changed, mem, pad);
        INDArray firstReal = y1.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3), NDArrayIndex.all());
        assertEquals(0.0, TestData.maxAbsDiff(firstReal, y2.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3), NDArrayIndex.all())));
        INDArray unpadded = a.forward(p, "attn.", x, mem, null);
        assertTrue(TestData.maxAbsDiff(unpadded.get(NDArrayIndex.all(), NDArrayIndex.point(T - 1), NDArrayIndex.all()),
            y1.get(NDArrayIndex.all(), NDArrayIndex.point(T - 1), NDArrayIndex.all())) > 1e-6, "the mask does something");
    }

    @Test
    void gradientsWithMemoryMatchFiniteDifferencesOnBothEngines() {
        for (boolean shared : new boolean[] {true, false}) {
            RelativeAttention a = layer(shared);
            ParamStore p = params(a, 10);
            INDArray x = TestData.normal(11, DataType.DOUBLE, B, T, D), mem = TestData.normal(12, DataType.DOUBLE, B, M, D);
            GradientCheck.Result r = new GradientCheck().check(p, x, new GradientCheck.Fn() {
                @Override
                public <V> V apply(Ops<V> ops, V in) {
                    return a.apply(ops, "attn.", in, ops.constant(mem), null);
                }
            }, 13);
            assertTrue(r.passed(), r.toString());
            assertTrue(r.checked() > 150, "u, v and W_R checked too: " + r);
        }
    }

    @Test
    void biasesAreSharedAcrossLayersOrNot() {
        ParamStore shared = new ParamStore(DataType.DOUBLE, 1);
        layer(true).declare(shared, "blocks.0.attn.");
        layer(true).declare(shared, "blocks.1.attn.");
        assertTrue(shared.contains("relpos.u") && shared.contains("relpos.v") && !shared.contains("blocks.0.attn.u"));
        ParamStore own = new ParamStore(DataType.DOUBLE, 1);
        layer(false).declare(own, "blocks.0.attn.");
        layer(false).declare(own, "blocks.1.attn.");
        assertTrue(own.contains("blocks.0.attn.u") && own.contains("blocks.1.attn.v") && !own.contains("relpos.u"));
        assertEquals(shared.trainableCount() + 2L * H * (D / H), own.trainableCount());
    }

    @Test
    void badMemoryAndBidirectionalUseAreRejectedWithAMessageNamingThem() {
        RelativeAttention a = layer(true);
        ParamStore p = params(a, 14);
        INDArray x = TestData.normal(15, DataType.DOUBLE, B, T, D);
        var rank = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", x, Nd4j.zeros(DataType.DOUBLE, M, D), null));
        assertEquals("memory = array of shape [4, 8]: expected rank 3 (batch, memory length, dModel)", rank.getMessage());
        var batch = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", x, Nd4j.zeros(DataType.DOUBLE, B + 1, M, D), null));
        assertEquals("memory = array of shape [3, 4, 8]: expected shape (2, M, 8) to match x's batch and width", batch.getMessage());
        var type = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", x, Nd4j.zeros(DataType.FLOAT, B, M, D), null));
        assertEquals("memory = array of type FLOAT: expected x's data type DOUBLE", type.getMessage());
        INDArray nan = Nd4j.zeros(DataType.DOUBLE, B, M, D);
        nan.putScalar(new long[] {0, 1, 2}, Double.NaN);
        var nanError = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", x, nan, null));
        assertTrue(nanError.getMessage().startsWith("memory = ") && nanError.getMessage().contains("NaN or Inf"), nanError.getMessage());
        var tooLong = assertThrows(IllegalArgumentException.class,
            () -> a.forward(p, "attn.", TestData.normal(16, DataType.DOUBLE, B, T + M + 1, D), Nd4j.zeros(DataType.DOUBLE, B, M, D), null));
        assertEquals("sequence length = 10: expected at most maxLen = 9", tooLong.getMessage());
        var bidirectional = assertThrows(IllegalArgumentException.class,
            () -> new RelativeAttention.Config(true).build(new AttentionDims(D, H, T, false)));
        assertEquals("causal = false: expected true: relative attention is built here for causal language models only", bidirectional.getMessage());
    }
}
