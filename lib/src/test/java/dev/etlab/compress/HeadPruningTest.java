package dev.etlab.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.data.Batch;
import dev.etlab.data.Task;
import dev.etlab.nn.Losses;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.TransformerModel;
import dev.etlab.tensor.NdOps;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class HeadPruningTest {
    final ModelConfig config = ModelConfig.languageModel(13, 16);

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static boolean[][] all(int layers, int heads) {
        boolean[][] k = new boolean[layers][heads];
        for (boolean[] l : k) java.util.Arrays.fill(l, true);
        return k;
    }

    @Test
    void removingNoHeadComputesTheModelAndRemovingHeadsComputesTheMaskedModel() {
        TransformerModel model = TransformerModel.create(config, 6);
        INDArray tokens = TestData.tokens(2, 13, 3, 16);
        HeadPrunedModel same = HeadPrunedModel.of(model, all(2, 4));
        assertEquals(0.0, TestData.maxAbsDiff(model.logits(tokens), same.logits(tokens)));

        boolean[][] keep = {{true, false, true, false}, {false, false, false, true}};
        HeadPrunedModel small = HeadPrunedModel.of(model, keep);
        assertEquals(2, small.heads(0));
        assertEquals(1, small.heads(1));
        assertArrayEquals(new long[] {64, 16}, small.params().get("blocks.1.attn.wq").shape());
        assertArrayEquals(new long[] {16, 64}, small.params().get("blocks.1.attn.wo").shape());
        long removed = (2 + 3) * (4L * 64 * 16 + 3 * 16);  // per head: W_Q, W_K, W_V columns, W_O rows, 3 bias slices
        assertEquals(model.params().trainableCount() - removed, small.parameterCount());
        PruningMask mask = HeadPruning.mask(model, keep);
        assertTrue(TestData.maxAbsDiff(model.logits(tokens), small.logits(tokens)) < 1e-5);
        assertEquals(0.0, model.params().get("blocks.0.attn.wo").get(NDArrayIndex.interval(16, 32), NDArrayIndex.all()).amaxNumber().doubleValue());
        assertTrue(mask.holdsIn(model.params()));
    }

    @Test
    void theGateGradientEqualsFiniteDifferencesOfTheLoss(@TempDir Path dir) throws Exception {
        Task task = Fixtures.task(dir, 12);
        TransformerModel model = TransformerModel.create(task.smallModel(), 8, DataType.DOUBLE);
        Batch batch = task.trainBatch(3, 0);
        double[][] analytic = HeadImportance.gateGradients(model, task, batch);
        double eps = 1e-5, worst = 0;
        for (int l = 0; l < 2; l++)
            for (int h = 0; h < 4; h++) {
                double numeric = (lossWithGate(model, batch, l, h, 1 + eps) - lossWithGate(model, batch, l, h, 1 - eps)) / (2 * eps);
                worst = Math.max(worst, Math.abs(numeric - analytic[l][h]) / Math.max(1e-8, Math.abs(numeric) + Math.abs(analytic[l][h])));
            }
        assertTrue(worst < 1e-6, "relative error " + worst);
        double[][] scores = HeadImportance.scores(model, task, 2, 3);
        for (double[] layer : scores) assertEquals(1.0, java.util.Arrays.stream(layer).map(v -> v * v).sum(), 1e-12, "unit norm per layer");
    }

    /** The loss with head h of layer l scaled by ξ (its rows of W_O). */
    private static double lossWithGate(TransformerModel model, Batch batch, int l, int h, double xi) {
        INDArray wo = model.params().get("blocks." + l + ".attn.wo");
        INDArray rows = wo.get(NDArrayIndex.interval(h * 16, (h + 1) * 16), NDArrayIndex.all());
        INDArray saved = rows.dup();
        rows.muli(xi);
        try {
            INDArray logits = model.logits(batch.tokens());
            return Losses.languageModelling(NdOps.of(model.params(), DataType.DOUBLE), logits, batch.targets(), batch.lossMask().castTo(DataType.DOUBLE)).getDouble(0);
        } finally {
            rows.assign(saved);
        }
    }

    @Test
    void rankingPrunesTheLeastImportantButNeverALayersLastHead() {
        double[][] importance = {{0.1, 0.9, 0.2, 0.3}, {0.05, 0.01, 0.02, 0.03}};
        boolean[][] keep = HeadPruning.keepMostImportant(importance, 4);
        assertArrayEquals(new boolean[] {false, true, true, true}, keep[0]);
        assertArrayEquals(new boolean[] {true, false, false, false}, keep[1], "layer 1 keeps its best head (0.05) though layer 0's 0.1 is higher");
        assertEquals(4, HeadPruning.kept(keep));
        var e = assertThrows(IllegalArgumentException.class, () -> HeadPruning.keepMostImportant(importance, 7));
        assertEquals("count = 7: expected 0 to 6 heads to prune (every layer keeps at least one of its 4)", e.getMessage());
    }

    @Test
    void pruningEveryHeadOfALayerIsRefused() {
        TransformerModel model = TransformerModel.create(config, 1);
        boolean[][] keep = {{true, true, true, true}, {false, false, false, false}};
        String expected = "keep[1] = no head kept in layer 1: expected at least one head per layer "
            + "(pruning every head of a layer removes its attention; the residual alone would pass x through)";
        assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> HeadPruning.mask(model, keep)).getMessage());
        assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> HeadPrunedModel.of(model, keep)).getMessage());
        TransformerModel logSparse = TransformerModel.create(config.withAttention(dev.etlab.attention.LogSparse.Config.of(2, 3)), 1);
        var e = assertThrows(IllegalArgumentException.class, () -> HeadPrunedModel.of(logSparse, all(2, 4)));
        assertTrue(e.getMessage().startsWith("model attention = logsparse (with parameter blocks.0.attn.wq_taps"), e.getMessage());
        TransformerModel reversible = TransformerModel.create(config.withReversible(true), 1);
        assertEquals("model reversible = true: expected false (head pruning's physical removal runs ordinary residual blocks)",
            assertThrows(IllegalArgumentException.class, () -> HeadPrunedModel.of(reversible, all(2, 4))).getMessage());
        assertEquals("keep = 1 layers: expected 2 layers, one row per layer",
            assertThrows(IllegalArgumentException.class, () -> HeadPruning.mask(model, new boolean[][] {{true}})).getMessage());
    }
}
