package dev.etlab.train;

import dev.etlab.nn.ParamStore;
import java.util.HashMap;
import java.util.Map;
import dev.etlab.tensor.StepMemory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter 2019, https://arxiv.org/abs/1711.05101,
 * Algorithm 2), updating a {@link ParamStore}'s arrays in place:
 * <pre>
 * m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ)
 * θ ← θ − lr·(m̂ / (√v̂ + ε) + λθ)      (λ only for matrices, not biases or norm gains)
 * </pre>
 */
public final class AdamW {
    private final ParamStore params;
    private final TrainConfig config;
    private final Map<String, double[]> m = new HashMap<>();
    private final Map<String, double[]> v = new HashMap<>();
    private final Map<String, INDArray> mNd = new HashMap<>();
    private final Map<String, INDArray> vNd = new HashMap<>();
    private int t;

    public AdamW(ParamStore params, TrainConfig config) {
        this.params = params;
        this.config = config;
    }

    /**
     * Applies one update with the given gradients (name → gradient) and learning rate: one plain Java
     * loop per parameter over its elements (moments kept in float64), instead of eight ND4J calls per
     * parameter ({@link #stepWithNd4j} is that version, kept as the twin the tests compare with).
     */
    public void step(Map<String, INDArray> grads, double lr) {
        t++;
        double b1 = config.beta1(), b2 = config.beta2(), eps = config.adamEps();
        double c1 = 1 - Math.pow(b1, t), c2 = 1 - Math.pow(b2, t);
        for (Map.Entry<String, INDArray> e : grads.entrySet()) {
            INDArray theta = params.get(e.getKey());
            double decay = theta.rank() >= 2 ? config.weightDecay() : 0;
            double[] g = e.getValue().dup('c').data().asDouble();
            double[] w = theta.dup('c').data().asDouble();
            double[] mi = m.computeIfAbsent(e.getKey(), k -> new double[g.length]);
            double[] vi = v.computeIfAbsent(e.getKey(), k -> new double[g.length]);
            for (int i = 0; i < g.length; i++) {
                mi[i] = b1 * mi[i] + (1 - b1) * g[i];
                vi[i] = b2 * vi[i] + (1 - b2) * g[i] * g[i];
                w[i] -= lr * ((mi[i] / c1) / (Math.sqrt(vi[i] / c2) + eps) + decay * w[i]);
            }
            theta.assign(org.nd4j.linalg.factory.Nd4j.create(w, theta.shape(), theta.dataType()));
        }
    }

    /** The same update in ND4J operations (eight per parameter): the twin {@link #step} is tested against. */
    void stepWithNd4j(Map<String, INDArray> grads, double lr) {
        t++;
        double b1 = config.beta1(), b2 = config.beta2();
        double c1 = 1 - Math.pow(b1, t), c2 = 1 - Math.pow(b2, t);
        for (Map.Entry<String, INDArray> e : grads.entrySet()) {
            INDArray theta = params.get(e.getKey());
            INDArray g = e.getValue();
            // moments outlive the step: never in a step's workspace (StepMemory)
            INDArray mi = mNd.computeIfAbsent(e.getKey(), k -> StepMemory.outside(() -> theta.ulike().assign(0)));
            INDArray vi = vNd.computeIfAbsent(e.getKey(), k -> StepMemory.outside(() -> theta.ulike().assign(0)));
            mi.muli(b1).addi(g.mul(1 - b1));
            vi.muli(b2).addi(g.mul(g).muli(1 - b2));
            INDArray update = mi.div(c1).divi(Transforms.sqrt(vi.div(c2), false).addi(config.adamEps()));
            if (theta.rank() >= 2 && config.weightDecay() > 0) update.addi(theta.mul(config.weightDecay()));
            theta.subi(update.muli(lr));
        }
    }

    /** Rescales gradients in place so their global L2 norm is at most {@code maxNorm}; returns the norm before. */
    public static double clipGlobalNorm(Map<String, INDArray> grads, double maxNorm) {
        double sq = 0;
        for (INDArray g : grads.values()) {
            double n = g.norm2Number().doubleValue();
            sq += n * n;
        }
        double norm = Math.sqrt(sq);
        if (maxNorm > 0 && norm > maxNorm) {
            double scale = maxNorm / (norm + 1e-12);
            for (INDArray g : grads.values()) g.muli(scale);
        }
        return norm;
    }
}
