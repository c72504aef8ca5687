package dev.etlab.nn;

import dev.etlab.Check;
import dev.etlab.attention.Attention;
import dev.etlab.attention.AttentionConfig;
import dev.etlab.attention.AttentionDims;
import dev.etlab.attention.StandardAttention;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A causal Transformer forecaster in the setting of Li et al. 2019 (Section 3, after DeepAR): at step t it
 * reads [z_{t−1}, covariates_t], and its causal stack of blocks outputs one value per quantile ρ of z_t —
 * trained with the ρ-quantile loss ({@link QuantileLoss}), forecasting the horizon by feeding its median back.
 *
 * <pre>
 * h_0 = [z_{t−1}, x_t] W_in + b_in + PE_t      (B, T, D)
 * h_l = Block_l(h_{l−1})                       causal attention: standard, LogSparse, conv, …
 * ẑ_t^ρ = LN(h_L) W_out + b_out                (B, T, Q)
 * </pre>
 */
public final class ForecastModel {

    /**
     * @param features  F, inputs per step (the lagged value and the covariates)
     * @param quantiles the ρ of each output, each in (0, 1) — the paper reports ρ = 0.5 and 0.9
     * @param maxLen    the longest window T
     * @param layers    Transformer blocks
     * @param heads     attention heads (must divide dModel)
     * @param dModel    width D
     * @param dFf       feed-forward width
     * @param dropout   residual dropout
     * @param positions how the step index enters (sinusoidal by default)
     * @param attention a causal attention mechanism
     */
    public record Config(int features, double[] quantiles, int maxLen, int layers, int heads, int dModel, int dFf,
                         double dropout, Positions positions, AttentionConfig attention) {
        public Config {
            Check.positive("features", features);
            Check.arg(quantiles != null && quantiles.length >= 1, "quantiles", quantiles == null ? null : "none", "at least one quantile");
            for (double q : quantiles) Check.arg(q > 0 && q < 1, "quantiles", java.util.Arrays.toString(quantiles), "values in (0, 1)");
            Check.positive("maxLen", maxLen);
            Check.positive("layers", layers);
            Check.positive("dFf", dFf);
            Check.probability("dropout", dropout);
            Check.arg(positions != null, "positions", null, "one of " + java.util.Arrays.toString(Positions.values()));
            Check.arg(attention != null && attention.supportsCausal(), "attention", attention == null ? null : attention.kind(),
                "a mechanism with a causal form (a forecaster must not see the future)");
            new AttentionDims(dModel, heads, maxLen, true); // validates heads and dModel
            quantiles = quantiles.clone();
        }

        /** 2 layers, 4 heads, D = 32, F = 64, no dropout, sinusoidal positions, ρ ∈ {0.5, 0.9}, standard causal attention. */
        public static Config of(int features, int maxLen) {
            return new Config(features, new double[] {0.5, 0.9}, maxLen, 2, 4, 32, 64, 0.0, Positions.SINUSOIDAL,
                new StandardAttention.Config());
        }

        @Override public double[] quantiles() { return quantiles.clone(); }

        public Config withAttention(AttentionConfig attention) {
            return new Config(features, quantiles, maxLen, layers, heads, dModel, dFf, dropout, positions, attention);
        }

        public Config withWidth(int dModel, int heads, int dFf) {
            return new Config(features, quantiles, maxLen, layers, heads, dModel, dFf, dropout, positions, attention);
        }

        public Config withLayers(int layers) {
            return new Config(features, quantiles, maxLen, layers, heads, dModel, dFf, dropout, positions, attention);
        }

        public Config withDropout(double dropout) {
            return new Config(features, quantiles, maxLen, layers, heads, dModel, dFf, dropout, positions, attention);
        }

        /** The index of quantile ρ among the outputs. */
        public int quantileIndex(double rho) {
            for (int i = 0; i < quantiles.length; i++) if (quantiles[i] == rho) return i;
            throw new IllegalArgumentException("rho = " + rho + ": expected one of the model's quantiles " + java.util.Arrays.toString(quantiles));
        }
    }

    private final Config config;
    private final ParamStore params;
    private final List<TransformerBlock> blocks = new ArrayList<>();

    private ForecastModel(Config config, ParamStore params) {
        this.config = config;
        this.params = params;
        AttentionDims dims = new AttentionDims(config.dModel(), config.heads(), config.maxLen(), true);
        for (int i = 0; i < config.layers(); i++) {
            String p = "blocks." + i + ".";
            Attention attention = config.attention().build(dims);
            blocks.add(new TransformerBlock(p, attention, new FeedForward(p + "ffn.", config.dModel(), config.dFf()), config.dropout()));
        }
        params.declare("in.w", Init.xavier(), config.features(), config.dModel());
        params.declare("in.b", Init.zeros(), config.dModel());
        config.positions().declare(params, "pos.", config.maxLen(), config.dModel());
        blocks.forEach(b -> b.declare(params));
        norm().declare(params);
        params.declare("head.w", Init.xavier(), config.dModel(), config.quantiles().length);
        params.declare("head.b", Init.zeros(), config.quantiles().length);
    }

    /** A float32 model with weights drawn from {@code seed}. */
    public static ForecastModel create(Config config, long seed) {
        return create(config, seed, DataType.FLOAT);
    }

    public static ForecastModel create(Config config, long seed, DataType type) {
        return new ForecastModel(config, new ParamStore(type, seed));
    }

    public Config config() { return config; }
    public ParamStore params() { return params; }
    public List<TransformerBlock> blocks() { return List.copyOf(blocks); }

    private LayerNorm norm() {
        return new LayerNorm("final_norm.", config.dModel());
    }

    /**
     * @param inputs (B, T, F) standardised lagged values and covariates
     * @return (B, T, Q) the predicted quantiles of the standardised z_t
     */
    public <T> T predict(Ops<T> ops, T inputs) {
        T h = ops.linear(inputs, ops.param("in.w"), ops.param("in.b"));                 // (B, T, D)
        h = ops.dropout(config.positions().apply(ops, "pos.", h), config.dropout());
        for (TransformerBlock block : blocks) h = block.apply(ops, h, null);             // causal attention
        return ops.linear(norm().apply(ops, h), ops.param("head.w"), ops.param("head.b")); // (B, T, Q)
    }

    /** Eager prediction with input checks. */
    public INDArray predict(INDArray inputs) {
        Check.rank("inputs", inputs, 3, "(batch, length, features)");
        Check.dim("inputs", inputs, 2, config.features(), "features");
        Check.arg(inputs.size(1) <= config.maxLen(), "sequence length", inputs.size(1), "at most maxLen = " + config.maxLen());
        Check.finite("inputs", inputs);
        INDArray x = inputs.dataType() == params.dataType() ? inputs : inputs.castTo(params.dataType());
        return predict(NdOps.of(params, params.dataType()), x);
    }
}
