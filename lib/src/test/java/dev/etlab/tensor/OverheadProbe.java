package dev.etlab.tensor;

import dev.etlab.Lab;
import java.util.*;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.*;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class OverheadProbe {
    @Test
    void probe() {
        Lab.init();
        for (int n : new int[] {100, 400}) {
            SameDiff sd = SameDiff.create();
            SDVariable w = sd.var("w", Nd4j.rand(DataType.FLOAT, 4, 4));
            SDVariable x = sd.placeHolder("x", DataType.FLOAT, 4, 4);
            SDVariable h = x;
            for (int i = 0; i < n; i++) h = h.mul(w);
            SDVariable loss = h.sum();
            loss.markAsLoss();
            Map<String, INDArray> f = Map.of("x", Nd4j.rand(DataType.FLOAT, 4, 4));
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < 10; i++) sd.output(f, loss.name());
                long t1 = System.nanoTime();
                for (int i = 0; i < 10; i++) Lab.withoutGraphChatter(() -> sd.calculateGradients(f, "w"));
                long t2 = System.nanoTime();
                INDArray a = f.get("x"), wa = w.getArr();
                for (int i = 0; i < 10; i++) { INDArray hh = a; for (int k = 0; k < n; k++) hh = hh.mul(wa); }
                long t3 = System.nanoTime();
                System.out.printf("n=%d ops: fwd %.3f ms/op, fwd+bwd %.3f ms/fwd-op, eager %.4f ms/op%n", n,
                    (t1 - t0) / 10e6 / n, (t2 - t1) / 10e6 / n, (t3 - t2) / 10e6 / n);
            }
        }
    }
}
