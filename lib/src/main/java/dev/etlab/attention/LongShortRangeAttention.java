package dev.etlab.attention;

import dev.etlab.Check;
import dev.etlab.nn.Init;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Long-Short Range Attention (LSRA), the building block of the Lite Transformer.
 * Wu et al. 2020, "Lite Transformer with Long-Short Range Attention", https://arxiv.org/abs/2004.11886
 *
 * <p>The D input channels are split in two halves of C = D/2 (Section 3.2, Figure 2b):
 * <pre>
 * global: x[:, :, :C] → multi-head softmax attention with H heads of width C/H (its own W_Q, W_K, W_V, W_O, C × C)
 * local:  x[:, :, C:] → GLU(x W_1 + b_1) → LightConv_K → · W_2 + b_2          (W_1: C × 2C, W_2: C × C)
 * LSRA(x) = Concat(global, local)                                                (B, T, D)
 * </pre>
 * The output projection is block-diagonal, one per branch (W_O of the attention, W_2 of the convolution), as in
 * the reference implementation's {@code MultiBranch}, which concatenates the branches' outputs.
 *
 * <p><b>Lightweight convolution</b> (Wu et al. 2019, "Pay Less Attention with Lightweight and Dynamic
 * Convolutions", https://arxiv.org/abs/1901.10430, Eq. 2–3): depthwise, with the kernel softmax-normalised over
 * its K taps and shared by the C/H_c channels of each of H_c groups:
 * <pre>
 * LightConv(u)[t, c] = Σ_j softmax(W)[⌊c·H_c/C⌋, j] · u[t + j − p, c]       p = K − 1 (causal) or (K − 1)/2 (same padding)
 * </pre>
 * Causal: the K taps are the current and K − 1 past positions; bidirectional: centred, so K must be odd.
 * Padded positions enter the convolution as zeros.
 */
public final class LongShortRangeAttention implements Attention {

    /**
     * @param kernel    K ≥ 1, the convolution width (odd in the bidirectional form, for same padding)
     * @param convHeads H_c ≥ 1, the channel groups that share one kernel; must divide C = D/2
     */
    public record Config(int kernel, int convHeads) implements AttentionConfig {
        public Config {
            Check.arg(kernel >= 1, "kernel", kernel, "a convolution width ≥ 1");
            Check.arg(convHeads >= 1, "convHeads", convHeads, "at least 1 channel group sharing a kernel");
        }

        @Override public String kind() { return "lsra"; }

        @Override public Attention build(AttentionDims dims) {
            int d = dims.dModel();
            Check.arg(d % 2 == 0, "dModel", d, "an even width (half the channels go to attention, half to the convolution)");
            int c = d / 2;
            Check.arg(c % dims.heads() == 0, "heads", dims.heads(),
                "a divisor of the attention branch's width dModel/2 = " + c + " (LSRA splits the channels in two)");
            Check.arg(c % convHeads == 0, "convHeads", convHeads, "a divisor of the convolution branch's width dModel/2 = " + c);
            Check.arg(dims.causal() || kernel % 2 == 1, "kernel", kernel,
                "an odd width in the bidirectional form (same padding puts (K − 1)/2 taps on each side)");
            return new LongShortRangeAttention(this, dims);
        }
    }

    private final Config config;
    private final AttentionDims dims;
    private final StandardAttention global;

    LongShortRangeAttention(Config config, AttentionDims dims) {
        this.config = config;
        this.dims = dims;
        this.global = new StandardAttention(new StandardAttention.Config(),
            new AttentionDims(branchWidth(), dims.heads(), dims.maxLen(), dims.causal()));
    }

    @Override public Config config() { return config; }

    @Override public AttentionDims dims() { return dims; }

    /** C = D/2, the width of each branch. */
    public int branchWidth() {
        return dims.dModel() / 2;
    }

    /** The attention branch, a standard multi-head attention layer of width C under {@code prefix + "global."}. */
    public Attention globalBranch() {
        return global;
    }

    @Override
    public void declare(ParamStore store, String prefix) {
        int c = branchWidth();
        global.declare(store, prefix + "global.");
        store.declare(prefix + "local.w1", Init.xavier(), c, 2 * c);             // GLU input projection
        store.declare(prefix + "local.b1", Init.zeros(), 2 * c);
        store.declare(prefix + "local.kernel", Init.xavier(), config.convHeads(), config.kernel()); // (H_c, K), before softmax
        store.declare(prefix + "local.w2", Init.xavier(), c, c);
        store.declare(prefix + "local.b2", Init.zeros(), c);
    }

    @Override
    public <T> T apply(Ops<T> ops, String prefix, T x, T keyPadding) {
        int c = branchWidth();
        T longRange = global.apply(ops, prefix + "global.", ops.slice(x, 2, 0, c), keyPadding);   // (B, T, C)
        T shortRange = local(ops, prefix, ops.slice(x, 2, c, 2L * c), keyPadding);                // (B, T, C)
        return ops.concat(2, longRange, shortRange);                                               // (B, T, D)
    }

    /** The convolution branch alone: (B, T, C) → (B, T, C), GLU in, lightweight convolution, linear out. */
    public <T> T local(Ops<T> ops, String prefix, T x, T keyPadding) {
        int c = branchWidth();
        T a = ops.linear(x, ops.param(prefix + "local.w1"), ops.param(prefix + "local.b1"));       // (B, T, 2C)
        T u = ops.mul(ops.slice(a, 2, 0, c), ops.sigmoid(ops.slice(a, 2, c, 2L * c)));            // GLU (Dauphin et al. 2017)
        if (keyPadding != null) {
            long[] s = ops.shape(keyPadding);
            u = ops.mul(u, ops.reshape(keyPadding, s[0], s[1], 1));                                // padding enters as zeros
        }
        T w = ops.softmax(ops.param(prefix + "local.kernel"), -1);                                 // (H_c, K)  Eq. 3 (2019)
        ops.record(prefix + "local.kernel_softmax", w);
        T conv = lightweightConv(ops, u, w, dims.causal());
        return ops.linear(conv, ops.param(prefix + "local.w2"), ops.param(prefix + "local.b2"));  // (B, T, C)
    }

    /**
     * Depthwise convolution of u (B, T, C) with kernel w (H_c, K), row h shared by channels
     * [h·C/H_c, (h+1)·C/H_c): causal (taps t − K + 1 … t) or same-padded (taps t − (K−1)/2 … t + (K−1)/2, K odd).
     * One pad, K slices, a weighted sum: memory K copies of u, no (T × T) anything.
     */
    public static <T> T lightweightConv(Ops<T> ops, T u, T w, boolean causal) {
        long[] s = ops.shape(u);
        long b = s[0], t = s[1], c = s[2];
        long[] ws = ops.shape(w);
        int hc = (int) ws[0], k = (int) ws[1];
        Check.arg(c % hc == 0, "w", "kernel of " + hc + " rows", "a number of rows dividing the channels C = " + c);
        Check.arg(causal || k % 2 == 1, "w", "kernel of width " + k, "an odd width for same padding");
        int before = causal ? k - 1 : (k - 1) / 2;
        T padded = Chunks.padAxis(ops, u, 1, before, k - 1 - before, 0.0);                         // (B, T + K − 1, C)
        List<T> taps = new ArrayList<>(k);
        for (int j = 0; j < k; j++) taps.add(ops.reshape(ops.slice(padded, 1, j, j + t), b, t, 1, c)); // u[t + j − p]
        T stack = ops.concat(2, taps);                                                              // (B, T, K, C)
        T perChannel = ops.mul(ops.reshape(w, hc, 1, k), ops.constant(Nd4j.ones(ops.dataType(), 1, c / hc, 1))); // (H_c, C/H_c, K)
        T kc = ops.transposeLast(ops.reshape(perChannel, c, k));                                   // (K, C)
        return ops.sum(ops.mul(stack, kc), false, 2);                                               // (B, T, C)
    }
}
