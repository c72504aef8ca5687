package dev.etlab.nn;

import dev.etlab.Check;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A stack of reversible residual blocks (Gomez et al. 2017, "The Reversible Residual Network",
 * https://arxiv.org/abs/1707.04585; used by the Reformer, Kitaev et al. 2020, Section 3):
 * <pre>
 * y1 = x1 + F(x2)        y2 = x2 + G(y1)              (forward)
 * x2 = y2 − G(y1)        x1 = y1 − F(x2)              (inverse)
 * </pre>
 * On the training tape ({@link TapeOps}) the whole stack is one custom operation that keeps only
 * its inputs and final outputs: the backward pass walks the blocks from the top, rebuilding each
 * block's inputs from its outputs and recomputing F and G (same dropout masks, replayed from a seed
 * per sub-layer) to back-propagate through them. Activation memory is then one block's, whatever
 * the depth. Everywhere else ({@link dev.etlab.tensor.NdOps}, SameDiff, or {@code reversible =
 * false}) it is the plain forward pass, which the tests compare it with.
 */
public final class ReversibleStack {

    /** A residual branch, F or G: (..., D) → (..., D). */
    public interface Sublayer {
        <T> T apply(Ops<T> ops, T x);
    }

    /** One reversible block. */
    public record Block(Sublayer f, Sublayer g) {}

    private final List<Block> blocks;
    private final boolean reversible;

    /** @param reversible false: keep every activation (the ordinary backward pass), for comparison */
    public ReversibleStack(List<Block> blocks, boolean reversible) {
        Check.arg(!blocks.isEmpty(), "blocks", "an empty list", "at least one reversible block");
        this.blocks = List.copyOf(blocks);
        this.reversible = reversible;
    }

    public int depth() { return blocks.size(); }

    /** (x1, x2) → (y1, y2) through every block. */
    @SuppressWarnings("unchecked")
    public <T> List<T> apply(Ops<T> ops, T x1, T x2) {
        Check.arg(java.util.Arrays.equals(ops.shape(x1), ops.shape(x2)), "x2", "shape " + java.util.Arrays.toString(ops.shape(x2)),
            "x1's shape " + java.util.Arrays.toString(ops.shape(x1)) + " (the two streams have one width)");
        if (ops instanceof TapeOps tape) {
            return (List<T>) (reversible ? withRecompute(tape, (Var) x1, (Var) x2) : plainOnTape(tape, (Var) x1, (Var) x2));
        }
        for (Block b : blocks) {
            x1 = ops.add(x1, b.f().apply(ops, x2));
            x2 = ops.add(x2, b.g().apply(ops, x1));
        }
        return List.of(x1, x2);
    }

    /** The ordinary pass on the tape, with each sub-layer's dropout seeded as the reversible pass seeds it. */
    private List<Var> plainOnTape(TapeOps tape, Var x1, Var x2) {
        for (Block b : blocks) {
            long seedF = tape.drawSeed(), seedG = tape.drawSeed();
            x1 = tape.add(x1, b.f().apply(tape.seeded(seedF), x2));
            x2 = tape.add(x2, b.g().apply(tape.seeded(seedG), x1));
        }
        return List.of(x1, x2);
    }

    private List<Var> withRecompute(TapeOps tape, Var x1, Var x2) {
        int n = blocks.size();
        long[] seedF = new long[n], seedG = new long[n];
        INDArray y1 = x1.value(), y2 = x2.value();
        for (int i = 0; i < n; i++) {                          // forward, keeping nothing
            seedF[i] = tape.drawSeed();
            seedG[i] = tape.drawSeed();
            Block blk = blocks.get(i);
            long sf = seedF[i], sg = seedG[i];
            INDArray a = y1, b = y2;
            INDArray[] out = inBlockMemory(() -> {
                INDArray na = a.add(blk.f().apply(tape.nested(new java.util.Random(sf), false), tape.constant(b)).value());
                INDArray nb = b.add(blk.g().apply(tape.nested(new java.util.Random(sg), false), tape.constant(na)).value());
                return new INDArray[] {na, nb};
            });
            y1 = out[0];
            y2 = out[1];
        }
        INDArray[] outputs = {y1, y2};
        return List.of(tape.custom(new Var[] {x1, x2}, outputs, grads -> {
            INDArray[] state = {outputs[0], outputs[1], grads[0], grads[1]};   // y1, y2, dy1, dy2 of the block above
            for (int i = n - 1; i >= 0; i--) {
                Block blk = blocks.get(i);
                long sf = seedF[i], sg = seedG[i];
                INDArray a = state[0], b = state[1], da = state[2], db = state[3];
                state = inBlockMemory(() -> {
                    // y2 = x2 + G(y1): rebuild x2, and add G's path to dy1
                    INDArray[] gOut = new INDArray[1];
                    INDArray dThroughG = tape.recompute((t, in) -> keep(gOut, blk.g().apply(t, in[0])), sg, new INDArray[] {a}, db)[0];
                    INDArray x2v = b.sub(gOut[0]);
                    INDArray dy1 = da.add(dThroughG);
                    // y1 = x1 + F(x2): rebuild x1, and add F's path to dx2
                    INDArray[] fOut = new INDArray[1];
                    INDArray dThroughF = tape.recompute((t, in) -> keep(fOut, blk.f().apply(t, in[0])), sf, new INDArray[] {x2v}, dy1)[0];
                    return new INDArray[] {a.sub(fOut[0]), x2v, dy1, db.add(dThroughF)};
                });
            }
            return new INDArray[] {state[2], state[3]};
        }));
    }

    /**
     * Runs one block's work in a workspace of its own, reset after every block, and copies the
     * results out: one block's activations exist at a time, freed when the block is done rather
     * than whenever the garbage collector gets to them. (Parameter gradients made inside are
     * copied out by the tape, {@link Var}.)
     */
    private static INDArray[] inBlockMemory(java.util.function.Supplier<INDArray[]> work) {
        return dev.etlab.tensor.StepMemory.run(Var.BLOCK_WORKSPACE, () -> {
            INDArray[] out = work.get();
            for (int i = 0; i < out.length; i++) out[i] = out[i].detach();
            return out;
        });
    }

    private static Var keep(INDArray[] slot, Var out) {
        slot[0] = out.value();
        return out;
    }
}
