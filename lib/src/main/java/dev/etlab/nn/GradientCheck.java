package dev.etlab.nn;

import dev.etlab.Lab;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.SdOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Compares SameDiff's gradients of a layer with central finite differences, in float64.
 *
 * <p>The scalar checked is L = Σ f(x) ⊙ R for a fixed random R, so every output element matters.
 * Analytic gradients come from the graph ({@link SdOps}); numeric ones perturb one element at a
 * time and re-run the eager path ({@link NdOps}) — so a pass also shows the two modes agree.
 */
public final class GradientCheck {

    /** The function under test: (params, x) → any tensor. */
    public interface Fn {
        <T> T apply(Ops<T> ops, T x);
    }

    /**
     * Worst disagreement found, and every element that failed. A NaN or infinite loss or gradient is a failure
     * (and makes {@code maxRelativeError} NaN): a NaN difference would otherwise pass every tolerance test.
     */
    public record Result(double maxRelativeError, int checked, List<String> failures) {
        public boolean passed() {
            return failures.isEmpty();
        }

        @Override
        public String toString() {
            return String.format("checked %d elements, max relative error %.2e, %d failures%s", checked, maxRelativeError,
                failures.size(), failures.isEmpty() ? "" : ": " + failures.subList(0, Math.min(5, failures.size())));
        }
    }

    private final double eps;
    private final double maxRelError;
    private final double absTolerance;
    private final int samplesPerArray;

    /** ε = 1e-6, relative tolerance 1e-5, absolute 1e-8, at most 12 elements per array. */
    public GradientCheck() {
        this(1e-6, 1e-5, 1e-8, 12);
    }

    public GradientCheck(double eps, double maxRelError, double absTolerance, int samplesPerArray) {
        this.eps = eps;
        this.maxRelError = maxRelError;
        this.absTolerance = absTolerance;
        this.samplesPerArray = samplesPerArray;
    }

    /**
     * @param params float64 parameters of the layer (trainable ones are checked)
     * @param x      float64 input, also checked; or integer token ids (then only parameters are checked)
     */
    public Result check(ParamStore params, INDArray x, Fn fn, long seed) {
        Lab.init();
        boolean checkInput = x.dataType().isFPType();
        if (params.dataType() != DataType.DOUBLE || (checkInput && x.dataType() != DataType.DOUBLE)) {
            throw new IllegalArgumentException("dataType = " + params.dataType() + "/" + x.dataType()
                + ": expected DOUBLE parameters and a DOUBLE (or integer id) input for a finite-difference check");
        }
        INDArray input = x.dup();
        INDArray r = randomLike(fn, params, input, seed);

        SameDiff sd = SameDiff.create();
        SdOps g = new SdOps(sd, params, DataType.DOUBLE, false);
        SDVariable xv = checkInput ? sd.var("x", input) : sd.constant("x", input);
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        g.track(xv, input.shape());
        SDVariable out = fn.apply(g, xv);
        SDVariable loss = sd.sum(out.mul(sd.constant(r)));
        loss.markAsLoss();
        for (String name : g.paramNames()) if (params.all().get(name).trainable()) arrays.put(name, params.get(name));
        if (checkInput) arrays.put("x", input);
        Map<String, INDArray> grads = Lab.withoutGraphChatter(() -> sd.calculateGradients(Map.of(), arrays.keySet()));

        Random pick = new Random(seed);
        List<String> failures = new ArrayList<>();
        double worst = 0;
        int checked = 0;
        double base = eagerLoss(fn, params, input, r);
        if (!Double.isFinite(base)) {
            failures.add("loss = " + base + " at the unperturbed point: expected a finite value (the function outputs NaN or Inf)");
            worst = Double.NaN;
        }
        for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
            INDArray arr = e.getValue();
            INDArray grad = grads.get(e.getKey());
            if (grad == null) {
                failures.add(e.getKey() + ": no gradient from the graph");
                continue;
            }
            int n = (int) Math.min(samplesPerArray, arr.length());
            for (int s = 0; s < n; s++) {
                long i = arr.length() <= samplesPerArray ? s : (long) (pick.nextDouble() * arr.length());
                double orig = arr.getDouble(i);
                arr.putScalar(i, orig + eps);
                double plus = eagerLoss(fn, params, input, r);
                arr.putScalar(i, orig - eps);
                double minus = eagerLoss(fn, params, input, r);
                arr.putScalar(i, orig);
                double numeric = (plus - minus) / (2 * eps);
                double analytic = grad.getDouble(i);
                checked++;
                if (!Double.isFinite(numeric) || !Double.isFinite(analytic)) {
                    // NaN compares false with every tolerance, so it must fail explicitly rather than slip through as a pass
                    worst = Double.NaN;
                    failures.add(String.format("%s[%d]: analytic %.8g, numeric %.8g (loss at ±ε: %.8g, %.8g): expected finite gradients",
                        e.getKey(), i, analytic, numeric, plus, minus));
                    continue;
                }
                double diff = Math.abs(numeric - analytic);
                double rel = diff / Math.max(Math.abs(numeric) + Math.abs(analytic), 1e-12);
                if (diff > absTolerance) {
                    worst = Math.max(worst, rel);
                    if (rel > maxRelError) {
                        failures.add(String.format("%s[%d]: analytic %.8g, numeric %.8g", e.getKey(), i, analytic, numeric));
                    }
                }
            }
        }
        return new Result(worst, checked, failures);
    }

    private static double eagerLoss(Fn fn, ParamStore params, INDArray x, INDArray r) {
        INDArray out = fn.apply(NdOps.of(params, DataType.DOUBLE), x);
        return out.mul(r).sumNumber().doubleValue();
    }

    private static INDArray randomLike(Fn fn, ParamStore params, INDArray x, long seed) {
        INDArray out = fn.apply(NdOps.of(params, DataType.DOUBLE), x);
        return Init.normal(1.0).create(out.shape(), DataType.DOUBLE, new Random(seed ^ 0x5DEECE66DL));
    }
}
