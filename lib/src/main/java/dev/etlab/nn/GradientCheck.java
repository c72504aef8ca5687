package dev.etlab.nn;

import dev.etlab.Lab;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.SdOps;
import dev.etlab.tensor.StepMemory;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
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
 * Compares the analytic gradients of a layer, from both engines (the {@link TapeOps} tape that
 * trains and the SameDiff graph), with central finite differences, in float64.
 *
 * <p>The scalar checked is L = Σ f(x) ⊙ R for a fixed random R, so every output element matters.
 * Analytic gradients come from the tape ({@link TapeOps}) and the graph ({@link SdOps}); numeric ones
 * perturb one element at a time and re-run the eager path ({@link NdOps}) — so a pass also shows that
 * all three agree. A non-finite gradient or loss is a failure, never a pass.
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
    private final boolean withGraph;

    /** ε = 1e-6, relative tolerance 1e-5, absolute 1e-8, at most 12 elements per array. */
    public GradientCheck() {
        this(1e-6, 1e-5, 1e-8, 12);
    }

    public GradientCheck(double eps, double maxRelError, double absTolerance, int samplesPerArray) {
        this(eps, maxRelError, absTolerance, samplesPerArray, true);
    }

    private GradientCheck(double eps, double maxRelError, double absTolerance, int samplesPerArray, boolean withGraph) {
        this.withGraph = withGraph;
        this.eps = eps;
        this.maxRelError = maxRelError;
        this.absTolerance = absTolerance;
        this.samplesPerArray = samplesPerArray;
    }

    /**
     * The same check without the SameDiff graph: the tape against finite differences only, for
     * functions that need an eager engine ({@link dev.etlab.tensor.EagerOnlyException}: LSH attention
     * hashes and sorts its inputs).
     */
    public GradientCheck eagerOnly() {
        return new GradientCheck(eps, maxRelError, absTolerance, samplesPerArray, false);
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

        Map<String, INDArray> arrays = new LinkedHashMap<>();
        Map<String, Map<String, INDArray>> engines = new LinkedHashMap<>();
        if (withGraph) engines.put("SameDiff", sameDiffGradients(fn, params, input, r, checkInput, arrays));
        engines.put("tape", tapeGradients(fn, params, input, r, checkInput));
        if (!withGraph) {
            engines.get("tape").keySet().forEach(name -> arrays.put(name, name.equals("x") ? input : params.get(name)));
        }

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
            boolean missing = false;
            for (var engine : engines.entrySet()) {
                if (engine.getValue().get(e.getKey()) == null) {
                    failures.add(e.getKey() + ": no gradient from " + engine.getKey());
                    missing = true;
                }
            }
            if (missing) continue;
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
                for (var engine : engines.entrySet()) {
                    double analytic = engine.getValue().get(e.getKey()).getDouble(i);
                    checked++;
                    if (!Double.isFinite(numeric) || !Double.isFinite(analytic)) {
                        // NaN compares false with every tolerance, so it must fail explicitly rather than slip through as a pass
                        worst = Double.NaN;
                        failures.add(String.format("%s[%d] (%s): analytic %.8g, numeric %.8g (loss at ±ε: %.8g, %.8g): expected finite gradients",
                            e.getKey(), i, engine.getKey(), analytic, numeric, plus, minus));
                        continue;
                    }
                    double diff = Math.abs(numeric - analytic);
                    double rel = diff / Math.max(Math.abs(numeric) + Math.abs(analytic), 1e-12);
                    if (diff > absTolerance) {
                        worst = Double.isNaN(worst) ? worst : Math.max(worst, rel);
                        if (rel > maxRelError) {
                            failures.add(String.format("%s[%d] (%s): analytic %.8g, numeric %.8g", e.getKey(), i, engine.getKey(), analytic, numeric));
                        }
                    }
                }
            }
        }
        return new Result(worst, checked, failures);
    }

    /** Analytic gradients from a SameDiff graph of {@code fn}; fills {@code arrays} with what is checked. */
    private static Map<String, INDArray> sameDiffGradients(Fn fn, ParamStore params, INDArray input, INDArray r, boolean checkInput,
                                                         Map<String, INDArray> arrays) {
        SameDiff sd = SameDiff.create();
        SdOps g = new SdOps(sd, params, DataType.DOUBLE, false);
        SDVariable xv = checkInput ? sd.var("x", input) : sd.constant("x", input);
        g.track(xv, input.shape());
        SDVariable out = fn.apply(g, xv);
        SDVariable loss = sd.sum(out.mul(sd.constant(r)));
        loss.markAsLoss();
        for (String name : g.paramNames()) if (params.all().get(name).trainable()) arrays.put(name, params.get(name));
        if (checkInput) arrays.put("x", input);
        return Lab.withoutGraphChatter(() -> sd.calculateGradients(Map.of(), arrays.keySet()));
    }

    /** Analytic gradients from the eager tape ({@link TapeOps}), the engine that trains. */
    private static Map<String, INDArray> tapeGradients(Fn fn, ParamStore params, INDArray input, INDArray r, boolean checkInput) {
        TapeOps tape = TapeOps.training(params, name -> params.all().get(name).trainable(), DataType.DOUBLE, null);
        Var xv = checkInput ? tape.leaf(input.dup()) : tape.constant(input);
        Var out = fn.apply(tape, xv);
        tape.backward(tape.sum(tape.mul(out, tape.constant(r)), false));
        Map<String, INDArray> grads = new LinkedHashMap<>(tape.paramGradients());
        if (checkInput) grads.put("x", xv.grad() != null ? xv.grad() : input.ulike().assign(0));
        return grads;
    }

    private static double eagerLoss(Fn fn, ParamStore params, INDArray x, INDArray r) {
        return StepMemory.run("etlab-gradient-check", () -> fn.apply(NdOps.of(params, DataType.DOUBLE), x).mul(r).sumNumber().doubleValue());
    }

    private static INDArray randomLike(Fn fn, ParamStore params, INDArray x, long seed) {
        INDArray out = fn.apply(NdOps.of(params, DataType.DOUBLE), x);
        return Init.normal(1.0).create(out.shape(), DataType.DOUBLE, new Random(seed ^ 0x5DEECE66DL));
    }
}
