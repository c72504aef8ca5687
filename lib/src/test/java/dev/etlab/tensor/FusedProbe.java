package dev.etlab.tensor;

import dev.etlab.Lab;
import dev.etlab.TestData;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.*;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LayerNorm;
import org.nd4j.linalg.api.ops.impl.transforms.strict.PreciseGELU;

class FusedProbe {
    @Test
    void probe() {
        Lab.init();
        INDArray x = TestData.normal(1, DataType.DOUBLE, 4, 8).mul(1e-3); // tiny variance: eps matters
        INDArray g = Nd4j.ones(DataType.DOUBLE, 8), b = Nd4j.zeros(DataType.DOUBLE, 8);
        INDArray fused = x.ulike(); Nd4j.exec(new LayerNorm(x, g, b, fused, true, 1));
        for (double eps : new double[] {0, 1e-12, 1e-6, 1e-5, 1e-3}) {
            INDArray c = x.sub(x.mean(true, 1));
            INDArray v = c.mul(c).mean(true, 1);
            INDArray composed = c.div(org.nd4j.linalg.ops.transforms.Transforms.sqrt(v.add(eps)));
            System.out.printf("LN eps %.0e: max diff %.3e%n", eps, fused.sub(composed).amaxNumber().doubleValue());
        }
        INDArray y = TestData.normal(2, DataType.DOUBLE, 1000).mul(3);
        INDArray pg = Nd4j.exec(new PreciseGELU(y, y.ulike()));
        NdOps ops = NdOps.of(n -> null, DataType.DOUBLE);
        System.out.printf("PreciseGELU vs tanh formula: %.3e%n", pg.sub(ops.gelu(y)).amaxNumber().doubleValue());
        INDArray sg = Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.strict.GELU(y, y.ulike()));
        System.out.printf("GELU vs tanh formula: %.3e%n", sg.sub(ops.gelu(y)).amaxNumber().doubleValue());
    }
}
