package dev.etlab.train;

import dev.etlab.Check;

/**
 * How to train: step budget, batch size, AdamW and its schedule, clipping, evaluation, seed.
 *
 * @param steps         fixed step budget
 * @param batchSize     sequences per step
 * @param learningRate  peak learning rate (after warm-up)
 * @param warmupSteps   linear warm-up from 0 (Vaswani et al. 2017, Section 5.3); at most {@code steps}
 * @param minLrFraction the cosine decay ends at learningRate × this (Loshchilov and Hutter 2017, SGDR)
 * @param weightDecay   decoupled weight decay on matrices (AdamW, Loshchilov and Hutter 2019); not on biases, norms
 * @param beta1         Adam first-moment decay
 * @param beta2         Adam second-moment decay
 * @param adamEps       Adam ε, positive and finite (an infinite ε makes every update 0)
 * @param clipNorm      gradients are rescaled so their global L2 norm is at most this (0 = off)
 * @param evalEvery     validate every this many steps (and after the last)
 * @param evalBatches   validation batches per evaluation during training (the final evaluation uses all)
 * @param seed          seeds batch order and dropout; with the model's seed it fixes the whole run
 */
public record TrainConfig(int steps, int batchSize, double learningRate, int warmupSteps, double minLrFraction,
                          double weightDecay, double beta1, double beta2, double adamEps, double clipNorm,
                          int evalEvery, int evalBatches, long seed) {

    public TrainConfig {
        Check.positive("steps", steps);
        Check.positive("batchSize", batchSize);
        Check.arg(learningRate > 0 && Double.isFinite(learningRate), "learningRate", learningRate, "a positive finite number");
        Check.arg(warmupSteps >= 0, "warmupSteps", warmupSteps, "0 or more");
        Check.arg(warmupSteps <= steps, "warmupSteps", warmupSteps,
            "at most steps = " + steps + " (a warm-up longer than the run never reaches the peak learning rate)");
        Check.arg(minLrFraction >= 0 && minLrFraction <= 1, "minLrFraction", minLrFraction, "a value in [0, 1]");
        Check.arg(weightDecay >= 0 && Double.isFinite(weightDecay), "weightDecay", weightDecay, "0 or a positive finite number");
        Check.probability("beta1", beta1);
        Check.probability("beta2", beta2);
        Check.arg(adamEps > 0 && Double.isFinite(adamEps), "adamEps", adamEps, "a positive finite number (Adam's ε, e.g. 1e-8)");
        Check.arg(clipNorm >= 0, "clipNorm", clipNorm, "0 (off) or a positive norm");
        Check.positive("evalEvery", evalEvery);
        Check.positive("evalBatches", evalBatches);
    }

    /** 500 steps of 16, lr 3e-3 with 50 warm-up steps and cosine to 10 %, weight decay 0.01, betas (0.9, 0.98), clip 1.0. */
    public static TrainConfig defaults() {
        return new TrainConfig(500, 16, 3e-3, 50, 0.1, 0.01, 0.9, 0.98, 1e-8, 1.0, 100, 4, 1);
    }

    public TrainConfig withSteps(int steps) {
        return new TrainConfig(steps, batchSize, learningRate, Math.min(warmupSteps, steps / 5), minLrFraction, weightDecay, beta1, beta2, adamEps, clipNorm, Math.min(evalEvery, steps), evalBatches, seed);
    }

    public TrainConfig withBatchSize(int batchSize) {
        return new TrainConfig(steps, batchSize, learningRate, warmupSteps, minLrFraction, weightDecay, beta1, beta2, adamEps, clipNorm, evalEvery, evalBatches, seed);
    }

    public TrainConfig withLearningRate(double learningRate) {
        return new TrainConfig(steps, batchSize, learningRate, warmupSteps, minLrFraction, weightDecay, beta1, beta2, adamEps, clipNorm, evalEvery, evalBatches, seed);
    }

    public TrainConfig withWarmup(int warmupSteps) {
        return new TrainConfig(steps, batchSize, learningRate, warmupSteps, minLrFraction, weightDecay, beta1, beta2, adamEps, clipNorm, evalEvery, evalBatches, seed);
    }

    public TrainConfig withWeightDecay(double weightDecay) {
        return new TrainConfig(steps, batchSize, learningRate, warmupSteps, minLrFraction, weightDecay, beta1, beta2, adamEps, clipNorm, evalEvery, evalBatches, seed);
    }

    public TrainConfig withClipNorm(double clipNorm) {
        return new TrainConfig(steps, batchSize, learningRate, warmupSteps, minLrFraction, weightDecay, beta1, beta2, adamEps, clipNorm, evalEvery, evalBatches, seed);
    }

    public TrainConfig withEvaluation(int evalEvery, int evalBatches) {
        return new TrainConfig(steps, batchSize, learningRate, warmupSteps, minLrFraction, weightDecay, beta1, beta2, adamEps, clipNorm, evalEvery, evalBatches, seed);
    }

    public TrainConfig withSeed(long seed) {
        return new TrainConfig(steps, batchSize, learningRate, warmupSteps, minLrFraction, weightDecay, beta1, beta2, adamEps, clipNorm, evalEvery, evalBatches, seed);
    }

    /** Learning rate at a step (1-based): linear warm-up, then cosine decay to learningRate × minLrFraction at the last step. */
    public double learningRateAt(int step) {
        if (warmupSteps > 0 && step <= warmupSteps) return learningRate * step / warmupSteps;
        double progress = steps == warmupSteps ? 1 : (step - warmupSteps) / (double) (steps - warmupSteps);
        double cosine = 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
        return learningRate * (minLrFraction + (1 - minLrFraction) * cosine);
    }
}
