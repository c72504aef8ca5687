package dev.etlab.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.data.Task;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.TransformerModel;
import dev.etlab.train.TrainConfig;
import dev.etlab.train.Trainer;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

class PruningTest {
    final ModelConfig config = ModelConfig.languageModel(13, 16);

    @BeforeAll
    static void init() {
        Lab.init();
    }

    @Test
    void globalPruningRemovesExactlyTheSmallestWeightsOverAllMatrices() {
        TransformerModel original = TransformerModel.create(config, 2);
        TransformerModel model = TransformerModel.create(config, 2);
        PruningMask mask = Pruning.magnitude(model, 0.6, Pruning.Scope.GLOBAL);
        long total = 0, pruned = 0;
        double largestPruned = 0, smallestKept = Double.MAX_VALUE;
        for (var e : mask.masks().entrySet()) {
            assertTrue(Pruning.isPrunable(e.getKey()));
            double[] w = original.params().get(e.getKey()).castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] m = e.getValue().castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] after = model.params().get(e.getKey()).castTo(DataType.DOUBLE).dup('c').data().asDouble();
            for (int i = 0; i < w.length; i++) {
                total++;
                if (m[i] == 0) { pruned++; largestPruned = Math.max(largestPruned, Math.abs(w[i])); assertTrue(after[i] == 0 && Double.doubleToRawLongBits(after[i]) == 0, "+0, not -0"); }
                else { smallestKept = Math.min(smallestKept, Math.abs(w[i])); assertEquals(w[i], after[i]); }
            }
        }
        assertEquals((long) Math.floor(0.6 * total), pruned);
        assertEquals(pruned / (double) total, mask.sparsity(), 1e-12);
        assertTrue(largestPruned <= smallestKept, largestPruned + " vs " + smallestKept);
        assertEquals(0.0, TestData.maxAbsDiff(original.params().get("head.w"), model.params().get("head.w")), "the head is not pruned");
        assertEquals(0.0, TestData.maxAbsDiff(original.params().get("blocks.0.attn.bq"), model.params().get("blocks.0.attn.bq")));
    }

    @Test
    void perLayerPruningGivesEveryMatrixTheSameSparsity() {
        TransformerModel model = TransformerModel.create(config, 3);
        PruningMask mask = Pruning.magnitude(model, 0.3, Pruning.Scope.PER_LAYER);
        double[] sparsities = mask.masks().values().stream().mapToDouble(m -> 1 - m.sumNumber().doubleValue() / m.length()).toArray();
        for (int i = 0; i < sparsities.length; i++) {
            long n = mask.masks().values().stream().skip(i).findFirst().orElseThrow().length();
            assertEquals(Math.floor(0.3 * n) / n, sparsities[i], 1e-12);
        }
        TransformerModel global = TransformerModel.create(config, 3);
        PruningMask g = Pruning.magnitude(global, 0.3, Pruning.Scope.GLOBAL);
        double spread = 0;
        for (INDArray m : g.masks().values()) spread = Math.max(spread, Math.abs(1 - m.sumNumber().doubleValue() / m.length() - 0.3));
        assertTrue(spread > 0.01, "a global threshold prunes matrices unevenly: " + spread);
    }

    @Test
    void aMaskedFineTuneKeepsPrunedWeightsAtZeroAndAnUnmaskedOneDoesNot(@TempDir Path dir) throws Exception {
        Task task = Fixtures.task(dir, 16);
        TrainConfig train = TrainConfig.defaults().withSteps(3).withBatchSize(4).withEvaluation(3, 1);
        for (boolean masked : new boolean[] {true, false}) {
            TransformerModel model = TransformerModel.create(task.smallModel(), 4);
            PruningMask mask = Pruning.magnitude(model, 0.5, Pruning.Scope.GLOBAL);
            INDArray before = model.params().get("blocks.1.ffn.w1").dup();
            Trainer trainer = new Trainer(model, task, train);
            if (masked) trainer.onGradients(mask::maskGradients);
            trainer.fit("fine-tune");
            assertEquals(masked, mask.holdsIn(model.params()), "masked = " + masked);
            INDArray kept = mask.masks().get("blocks.1.ffn.w1");
            double keptChange = Transforms.abs(model.params().get("blocks.1.ffn.w1").sub(before).mul(kept)).maxNumber().doubleValue();
            assertTrue(keptChange > 0, "the kept weights train");
            if (masked) assertEquals(0.5, mask.zeroFraction(model.params()), 0.01);
        }
    }

    @Test
    void aSparsityOutsideZeroToOneIsRefused() {
        TransformerModel model = TransformerModel.create(config, 1);
        for (double s : new double[] {-0.1, 1.0, 1.5, Double.NaN}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Pruning.magnitude(model, s, Pruning.Scope.GLOBAL));
            assertEquals("sparsity = " + s + ": expected a fraction in [0, 1) of the weights to remove (1 would remove every weight)", e.getMessage());
        }
        assertFalse(new PruningMask(Pruning.magnitude(model, 0.0, Pruning.Scope.PER_LAYER).masks()).sparsity() > 0);
    }
}
