package dev.etlab.train;

import dev.etlab.Lab;
import dev.etlab.data.*;
import dev.etlab.nn.*;
import dev.etlab.tensor.*;
import java.util.*;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.*;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class TrainerProfile {
    @Test
    void profile() {
        Lab.init();
        int t = Integer.getInteger("T", 128), b = 16;
        Task task = CopyTask.copy(t, 1);
        TransformerModel m = TransformerModel.create(task.smallModel(), 1);
        SameDiff sd = SameDiff.create();
        SdOps ops = new SdOps(sd, m.params(), DataType.FLOAT, true);
        SDVariable tokens = ops.placeholder("tokens", DataType.INT, b, t);
        SDVariable logits = ops.named(m.logits(ops, tokens, null), "logits");
        SDVariable targets = ops.placeholder("targets", DataType.INT, b, t);
        SDVariable mask = ops.placeholder("loss_mask", DataType.FLOAT, b, t);
        SDVariable loss = ops.named(Losses.languageModelling(ops, logits, targets, mask), "loss");
        loss.markAsLoss();
        System.out.println("ops in graph: " + sd.getOps().size() + " variables " + sd.variables().size());
        Batch batch = task.trainBatch(b, 0);
        Map<String, INDArray> f = Map.of("tokens", batch.tokens(), "targets", batch.targets(), "loss_mask", batch.lossMask());
        List<String> names = ops.paramNames();
        for (int rep = 0; rep < 3; rep++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 5; i++) sd.output(f, "loss");
            long t1 = System.nanoTime();
            for (int i = 0; i < 5; i++) Lab.withoutGraphChatter(() -> sd.calculateGradientsAndOutputs(f, List.of("loss", "logits"), names));
            long t2 = System.nanoTime();
            for (int i = 0; i < 5; i++) m.logits(batch.tokens());
            long t3 = System.nanoTime();
            System.out.printf("T=%d graph fwd %.1f ms, fwd+bwd %.1f ms, eager fwd %.1f ms%n", t, (t1 - t0) / 5e6, (t2 - t1) / 5e6, (t3 - t2) / 5e6);
        }
        System.out.println("grad fn ops: " + sd.getFunction("grad").getOps().size());
    }
}
