package dev.etlab.nn;

import dev.etlab.Check;
import java.util.Arrays;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Generates tokens from a causal language model, one at a time: run the model on the last
 * maxLen tokens, turn the final position's logits into probabilities with a temperature, draw.
 * (No key/value cache: each new token recomputes the window, which is fine for short demos.)
 */
public final class Sampling {
    private Sampling() {}

    /**
     * @param prompt      token ids to continue (at least one)
     * @param count       how many tokens to generate
     * @param temperature 0 picks the most likely token; 1 samples the model's distribution
     * @return the prompt followed by {@code count} generated ids
     */
    public static int[] continueFrom(TransformerModel model, int[] prompt, int count, double temperature, long seed) {
        Check.arg(model.config().head() == Head.CAUSAL_LM, "model head", model.config().head(), "CAUSAL_LM to generate text");
        Check.arg(prompt.length > 0, "prompt length", prompt.length, "at least one token");
        Check.arg(count >= 0, "count", count, "0 or more");
        Check.arg(temperature >= 0 && Double.isFinite(temperature), "temperature", temperature, "0 (greedy) or a positive number");
        Random rng = new Random(seed);
        int[] out = Arrays.copyOf(prompt, prompt.length + count);
        int maxLen = model.config().maxLen();
        for (int n = prompt.length; n < out.length; n++) {
            int from = Math.max(0, n - maxLen);
            INDArray window = Nd4j.createFromArray(Arrays.copyOfRange(out, from, n)).reshape(1, n - from);
            double[] logits = model.logits(window).get(
                org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(n - from - 1)).toDoubleVector();
            out[n] = draw(logits, temperature, rng);
        }
        return out;
    }

    static int draw(double[] logits, double temperature, Random rng) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        if (temperature == 0) return best;
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp((logits[i] - logits[best]) / temperature);
        double u = rng.nextDouble() * sum;
        for (int i = 0; i < p.length; i++) if ((u -= p[i]) <= 0) return i;
        return p.length - 1;
    }
}
