package dev.etlab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.FeedForward;
import dev.etlab.nn.ParamStore;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Gradient checkpointing on the tape: recomputing a block in the backward pass gives the gradients of keeping it. */
class TapeOpsTest {
    static final int D = 6;
    static final FeedForward FFN = new FeedForward("ffn.", D, 12);

    @BeforeAll
    static void init() {
        Lab.init();
    }

    /** A feed-forward block with dropout: its masks must be replayed for the recomputed gradients to match. */
    static final BiFunction<TapeOps, Var[], Var> BLOCK = (ops, in) -> ops.dropout(FFN.apply(ops, in[0]), 0.3);

    static Map<String, INDArray> gradients(boolean checkpointed, ParamStore p, INDArray x, INDArray r, long seed) {
        TapeOps tape = TapeOps.training(p, n -> true, DataType.DOUBLE, new Random(seed));
        Var xv = tape.leaf(x);
        Var out;
        if (checkpointed) {
            out = tape.checkpoint(BLOCK, xv);
        } else {
            out = BLOCK.apply(tape.seeded(tape.drawSeed()), new Var[] {xv});   // the seed checkpoint would draw
        }
        tape.backward(tape.sum(tape.mul(tape.gelu(out), tape.constant(r)), false));
        Map<String, INDArray> g = new TreeMap<>(tape.paramGradients());
        g.put("x", xv.grad());
        return g;
    }

    @Test
    void checkpointedBlockGivesTheGradientsOfTheKeptBlockWithDropoutReplayed() {
        ParamStore p = new ParamStore(DataType.DOUBLE, 4);
        FFN.declare(p);
        INDArray x = TestData.normal(1, DataType.DOUBLE, 2, 5, D), r = TestData.normal(2, DataType.DOUBLE, 2, 5, D);
        Map<String, INDArray> kept = gradients(false, p, x, r, 7), recomputed = gradients(true, p, x, r, 7);
        assertEquals(kept.keySet(), recomputed.keySet());
        for (String name : kept.keySet()) {
            double diff = TestData.maxAbsDiff(kept.get(name), recomputed.get(name));
            assertTrue(diff < 1e-12, name + ": checkpointed gradient differs by " + diff);
        }
        // the dropout was real: another seed gives other gradients
        assertTrue(TestData.maxAbsDiff(kept.get("x"), gradients(false, p, x, r, 8).get("x")) > 1e-3, "dropout had no effect?");
    }

    @Test
    void aCheckpointKeepsOneOperationOnTheTape() {
        ParamStore p = new ParamStore(DataType.DOUBLE, 4);
        FFN.declare(p);
        TapeOps tape = TapeOps.of(p, DataType.DOUBLE);
        tape.checkpoint(BLOCK, tape.leaf(TestData.normal(1, DataType.DOUBLE, 1, 3, D)));
        assertEquals(1, tape.tapeLength());
    }

    @Test
    void gatheredRowsSendTheirGradientsBackSummedWhenPickedTwiceAndZeroWhenNotPicked() {
        ParamStore p = new ParamStore(DataType.DOUBLE, 4);
        // rows of item 0: 2 picked twice, 0 never; item 1: a permutation
        INDArray index = org.nd4j.linalg.factory.Nd4j.createFromArray(new int[][] {{2, 1, 2, 3, 2}, {3, 0, 2, 1, 0}});
        INDArray x = dev.etlab.TestData.normal(5, DataType.DOUBLE, 2, 4, 3);
        NdOps nd = NdOps.of(p, DataType.DOUBLE);
        INDArray picked = nd.gatherRows(x, index);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {2, 5, 3}, picked.shape());
        org.junit.jupiter.api.Assertions.assertEquals(x.getDouble(1, 3, 2), picked.getDouble(1, 0, 2));
        org.junit.jupiter.api.Assertions.assertEquals(x.getDouble(0, 2, 1), picked.getDouble(0, 4, 1));
        dev.etlab.nn.GradientCheck.Result r = new dev.etlab.nn.GradientCheck().eagerOnly().check(p, x, new dev.etlab.nn.GradientCheck.Fn() {
            @Override
            public <T> T apply(Ops<T> ops, T in) {
                return ops.square(ops.gatherRows(in, index));
            }
        }, 6);
        org.junit.jupiter.api.Assertions.assertTrue(r.passed() && r.checked() == 12, r.toString());
        TapeOps tape = TapeOps.of(p, DataType.DOUBLE);
        Var xv = tape.leaf(x);
        tape.backward(tape.sum(tape.gatherRows(xv, index), false));
        org.junit.jupiter.api.Assertions.assertEquals(3.0, xv.grad().getDouble(0, 2, 0), "row picked three times");
        org.junit.jupiter.api.Assertions.assertEquals(0.0, xv.grad().getDouble(0, 0, 1), "row never picked");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> nd.gatherRows(x, org.nd4j.linalg.factory.Nd4j.createFromArray(new int[][] {{4}, {0}})));
    }
}
