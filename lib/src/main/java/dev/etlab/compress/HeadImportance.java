package dev.etlab.compress;

import dev.etlab.Check;
import dev.etlab.data.Batch;
import dev.etlab.data.Task;
import dev.etlab.nn.Head;
import dev.etlab.nn.Losses;
import dev.etlab.nn.TransformerModel;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradient-based head importance (Michel et al. 2019, https://arxiv.org/abs/1905.10650), their head importance score:
 * with a gate ξ_h on every head, MultiHead(X) = Σ_h ξ_h · Att_h(X) (the head's slice of W_O applied),
 *
 * <pre>I_h = E_x | ∂L(x) / ∂ξ_h |   at ξ = 1</pre>
 * Scaling head h's rows of W_O by ξ_h is the same gate, so by the chain rule
 * ∂L/∂ξ_h = Σ_{r ∈ rows(h)} Σ_j W_O[r, j] · ∂L/∂W_O[r, j]: one ordinary backward pass gives every head's
 * score. Scores are then divided by their layer's L2 norm, as Michel et al. do.
 * The expectation is taken over batches (one |·| per batch, not per example).
 */
public final class HeadImportance {
    private HeadImportance() {}

    /** ∂L/∂ξ (signed) for one batch: {@code [layer][head]}. */
    public static double[][] gateGradients(TransformerModel model, Task task, Batch batch) {
        DataType type = model.params().dataType();
        TapeOps ops = TapeOps.training(model.params(), name -> model.params().all().get(name).trainable(), type, null);
        Var tokens = ops.constant(batch.tokens().castTo(DataType.INT));
        Var pad = task.padded() ? ops.constant(batch.padMask().castTo(type)) : null;
        Var logits = model.logits(ops, tokens, pad);
        Var loss = task.head() == Head.CAUSAL_LM
            ? Losses.languageModelling(ops, logits, ops.constant(batch.targets().castTo(DataType.INT)), ops.constant(batch.lossMask().castTo(type)))
            : Losses.classification(ops, logits, ops.constant(batch.targets().castTo(DataType.INT)));
        ops.backward(loss);
        Map<String, INDArray> grads = ops.paramGradients();
        int layers = model.config().layers(), heads = model.config().heads(), dh = model.config().dModel() / heads;
        double[][] out = new double[layers][heads];
        for (int l = 0; l < layers; l++) {
            String wo = "blocks." + l + ".attn.wo";
            Check.arg(grads.containsKey(wo), "model attention", model.config().attention().kind(), "a multi-head mechanism with W_O (" + wo + ")");
            INDArray rowSums = grads.get(wo).mul(model.params().get(wo)).sum(1).castTo(DataType.DOUBLE); // (D): Σ_j W_O ⊙ ∂L/∂W_O
            double[] r = rowSums.toDoubleVector();
            for (int h = 0; h < heads; h++) for (int i = h * dh; i < (h + 1) * dh; i++) out[l][h] += r[i];
        }
        return out;
    }

    /**
     * I_h averaged over {@code batches} training batches of {@code batchSize}, each layer's scores
     * divided by their L2 norm.
     */
    public static double[][] scores(TransformerModel model, Task task, int batches, int batchSize) {
        Check.positive("batches", batches);
        Check.positive("batchSize", batchSize);
        int layers = model.config().layers(), heads = model.config().heads();
        double[][] sum = new double[layers][heads];
        for (int b = 0; b < batches; b++) {
            double[][] g = gateGradients(model, task, task.trainBatch(batchSize, b));
            for (int l = 0; l < layers; l++) for (int h = 0; h < heads; h++) sum[l][h] += Math.abs(g[l][h]) / batches;
        }
        for (double[] layer : sum) {
            double norm = Math.sqrt(java.util.Arrays.stream(layer).map(v -> v * v).sum());
            if (norm > 0) for (int h = 0; h < layer.length; h++) layer[h] /= norm;
        }
        return sum;
    }
}
