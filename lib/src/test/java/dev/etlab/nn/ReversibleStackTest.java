package dev.etlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A reversible stack's custom backward (inputs rebuilt from outputs) gives the ordinary backward's gradients. */
class ReversibleStackTest {
    static final int D = 6;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    /** F and G: LayerNorm → feed-forward (GELU) → dropout, each block with parameters of its own. */
    static ReversibleStack stack(int depth, double dropout, boolean reversible) {
        List<ReversibleStack.Block> blocks = new ArrayList<>();
        for (int i = 0; i < depth; i++) blocks.add(new ReversibleStack.Block(branch("rev." + i + ".f.", dropout), branch("rev." + i + ".g.", dropout)));
        return new ReversibleStack(blocks, reversible);
    }

    static ReversibleStack.Sublayer branch(String prefix, double dropout) {
        LayerNorm norm = new LayerNorm(prefix + "ln.", D);
        FeedForward ffn = new FeedForward(prefix + "ffn.", D, 2 * D);
        return new ReversibleStack.Sublayer() {
            @Override
            public <T> T apply(Ops<T> ops, T x) {
                return ops.dropout(ffn.apply(ops, norm.apply(ops, x)), dropout);
            }
        };
    }

    static ParamStore params(int depth, DataType type) {
        ParamStore p = new ParamStore(type, 11);
        for (int i = 0; i < depth; i++) {
            for (String side : new String[] {"f", "g"}) {
                String prefix = "rev." + i + "." + side + ".";
                new LayerNorm(prefix + "ln.", D).declare(p);
                new FeedForward(prefix + "ffn.", D, 2 * D).declare(p);
            }
        }
        return p;
    }

    /** x (B, T, 2D) split into the two streams, outputs joined again. */
    static GradientCheck.Fn asFunction(ReversibleStack s) {
        return new GradientCheck.Fn() {
            @Override
            public <T> T apply(Ops<T> ops, T x) {
                List<T> y = s.apply(ops, ops.slice(x, -1, 0, D), ops.slice(x, -1, D, 2 * D));
                return ops.concat(-1, y.get(0), y.get(1));
            }
        };
    }

    @Test
    void twoBlockReversibleStackPassesTheGradientCheck() {
        ParamStore p = params(2, DataType.DOUBLE);
        GradientCheck.Result r = new GradientCheck().check(p, TestData.normal(1, DataType.DOUBLE, 2, 3, 2 * D), asFunction(stack(2, 0, true)), 2);
        assertTrue(r.passed(), r.toString());
        assertTrue(r.checked() > 200, "enough elements checked: " + r);
    }

    /** Gradients of Σ out ⊙ r for every parameter and the input, on a training tape with dropout from {@code seed}. */
    static Map<String, INDArray> gradients(ReversibleStack s, ParamStore p, INDArray x, INDArray r, long seed) {
        TapeOps tape = TapeOps.training(p, n -> true, p.dataType(), new Random(seed));
        Var xv = tape.leaf(x);
        Var out = asFunction(s).apply(tape, xv);
        tape.backward(tape.sum(tape.mul(out, tape.constant(r)), false));
        Map<String, INDArray> g = new TreeMap<>(tape.paramGradients());
        g.put("x", xv.grad());
        return g;
    }

    @Test
    void reversibleGradientsEqualTheOrdinaryBackwardWithDropoutReplayed() {
        ParamStore p = params(3, DataType.DOUBLE);
        INDArray x = TestData.normal(3, DataType.DOUBLE, 2, 5, 2 * D), r = TestData.normal(4, DataType.DOUBLE, 2, 5, 2 * D);
        Map<String, INDArray> plain = gradients(stack(3, 0.3, false), p, x, r, 5);
        Map<String, INDArray> rev = gradients(stack(3, 0.3, true), p, x, r, 5);
        assertEquals(plain.keySet(), rev.keySet());
        for (String name : plain.keySet()) {
            double diff = TestData.maxAbsDiff(plain.get(name), rev.get(name));
            assertTrue(diff < 1e-10, name + ": reversible gradient differs by " + diff);
        }
        // with other masks the gradients do differ: dropout really was on and really was replayed
        Map<String, INDArray> otherMasks = gradients(stack(3, 0.3, false), p, x, r, 6);
        assertTrue(TestData.maxAbsDiff(plain.get("x"), otherMasks.get("x")) > 1e-3, "different dropout seeds, same gradients?");
    }

    @Test
    void theTapeKeepsOneOperationForTheWholeStackWhateverItsDepth() {
        for (int depth : new int[] {1, 4}) {
            ParamStore p = params(depth, DataType.FLOAT);
            INDArray x = TestData.normal(1, DataType.FLOAT, 1, 4, D);
            TapeOps rev = TapeOps.of(p, DataType.FLOAT);
            stack(depth, 0, true).apply(rev, rev.leaf(x), rev.leaf(x.dup()));
            TapeOps plain = TapeOps.of(p, DataType.FLOAT);
            stack(depth, 0, false).apply(plain, plain.leaf(x), plain.leaf(x.dup()));
            assertEquals(1, rev.tapeLength(), "reversible, depth " + depth);
            assertTrue(plain.tapeLength() >= 10 * depth, "ordinary, depth " + depth + ": " + plain.tapeLength() + " operations kept");
        }
    }

    @Test
    void badInputIsRejected() {
        var empty = assertThrows(IllegalArgumentException.class, () -> new ReversibleStack(List.of(), true));
        assertEquals("blocks = an empty list: expected at least one reversible block", empty.getMessage());
        ParamStore p = params(1, DataType.FLOAT);
        TapeOps tape = TapeOps.of(p, DataType.FLOAT);
        var shapes = assertThrows(IllegalArgumentException.class, () -> stack(1, 0, true).apply(tape,
            tape.leaf(TestData.normal(1, DataType.FLOAT, 1, 4, D)), tape.leaf(TestData.normal(1, DataType.FLOAT, 1, 3, D))));
        assertTrue(shapes.getMessage().startsWith("x2 = shape [1, 3, 6]"), shapes.getMessage());
    }
}
