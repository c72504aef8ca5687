package dev.etlab.data;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A batch of forecast windows of length T = context + horizon, each standardised by the mean and
 * standard deviation of its own conditioning range (so the model sees every series at one scale).
 *
 * @param inputs   (B, T, F) per step t: [ẑ_{t−1} (0 at t = 0), covariates of step t …] where ẑ = (z − shift) / scale
 * @param targets  (B, T) ẑ_t, the value to predict at step t
 * @param lossMask (B, T) 1 where a training prediction counts (every step but the first)
 * @param shift    (B) the window's context mean
 * @param scale    (B) the window's context standard deviation (floored, see {@link ForecastData})
 * @param context  t0, the conditioning range; steps t0 … T−1 are the forecast horizon
 */
public record ForecastBatch(INDArray inputs, INDArray targets, INDArray lossMask, INDArray shift, INDArray scale, int context) {

    public int size() {
        return (int) inputs.size(0);
    }

    public int length() {
        return (int) inputs.size(1);
    }

    public int horizon() {
        return length() - context;
    }
}
