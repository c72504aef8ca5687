package dev.etlab.attention;

import dev.etlab.Check;
import dev.etlab.Simd;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.NdOps;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.TapeOps;
import dev.etlab.tensor.Var;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Performer: softmax attention approximated with positive orthogonal random features (FAVOR+),
 * in time and memory linear in the sequence length.
 * Choromanski et al. 2021, "Rethinking Attention with Performers", https://arxiv.org/abs/2009.14794
 *
 * <pre>
 * exp(qᵀk) = E_ω[φ(q)ᵀφ(k)],  φ(x) = m^(−1/2) · exp(ωᵢᵀx − |x|²/2)ᵢ₌₁..ₘ        (Lemma 1, positive features)
 * Att(Q, K, V) ≈ D⁻¹ φ(Q)(φ(K)ᵀ V),  D = diag(φ(Q)(φ(K)ᵀ 1))                   (Eq. 4, bidirectional)
 * </pre>
 * Q and K are scaled by d^(−1/4) first, so that qᵀk becomes qᵀk/√d. For numerical stability a
 * maximum M is subtracted inside the exponential — per query row; for keys over features and the
 * whole sequence — and ε = 1e-4 is added, as in the reference implementation, except that ε is
 * scaled by the same e^(−M), so the stabiliser cancels exactly. (With ε added after stabilising,
 * as the reference does, future keys shift past outputs slightly through ε — the causal form
 * would not be strictly causal — and the stopped gradient of M would not be the true gradient.) The causal form (Section 2.6, prefix sums) is computed blockwise:
 * exact masked products inside chunks of C positions, running sums of φ(k)vᵀ between chunks —
 * never a T × T matrix, forward or backward. The ReLU kernel (φ = ReLU(ωᵀx)/√m + ε, Section 2.5
 * "generalized attention") is there for comparison.
 *
 * <p>Bidirectional FAVOR+ in float32 on the eager and tape engines runs, when the Vector API is on
 * ({@link Simd#enabled()}), on {@link VectorFavor}: feature map and both products fused per head, with a hand-written
 * backward. Its twin is {@link #features} + {@link #bidirectional} below (also taken for float64, SameDiff, the causal
 * form and the ReLU kernel).
 */
public final class Performer extends MultiHeadAttention {

    /** Which kernel the random features estimate. */
    public enum Kernel { SOFTMAX, RELU }

    /**
     * @param features       m, random features per head (the paper's default 256; lucidrains' d·ln d)
     * @param kernel         SOFTMAX (FAVOR+) or RELU
     * @param orthogonal     orthogonal blocks (FAVOR+) or i.i.d. Gaussian rows
     * @param redrawInterval redraw features every this many training steps (0 = never; lucidrains uses 1000)
     * @param chunkSize      C, positions per block in the causal form
     * @param seed           seeds feature redraws
     */
    public record Config(int features, Kernel kernel, boolean orthogonal, int redrawInterval, int chunkSize, long seed)
        implements AttentionConfig {
        public Config {
            Check.arg(features > 0, "features", features, "a positive number of random features m (the paper uses 256; d·ln d is common)");
            Check.arg(kernel != null, "kernel", null, "SOFTMAX or RELU");
            Check.arg(redrawInterval >= 0, "redrawInterval", redrawInterval, "0 (never) or a positive number of steps");
            Check.positive("chunkSize", chunkSize);
        }

        /** FAVOR+ with m features: orthogonal, softmax kernel, redraw every 1000 steps, causal chunks of 64. */
        public static Config favor(int features) {
            return new Config(features, Kernel.SOFTMAX, true, 1000, 64, 0);
        }

        /** m = round(d · ln d) for head width d (lucidrains/performer-pytorch's default). */
        public static Config forHeadDim(int headDim) {
            return favor(Math.max(1, (int) Math.round(headDim * Math.log(headDim))));
        }

        public Config withFeatures(int m) { return new Config(m, kernel, orthogonal, redrawInterval, chunkSize, seed); }
        public Config withKernel(Kernel k) { return new Config(features, k, orthogonal, redrawInterval, chunkSize, seed); }
        public Config withOrthogonal(boolean o) { return new Config(features, kernel, o, redrawInterval, chunkSize, seed); }
        public Config withRedrawInterval(int r) { return new Config(features, kernel, orthogonal, r, chunkSize, seed); }
        public Config withChunkSize(int c) { return new Config(features, kernel, orthogonal, redrawInterval, c, seed); }
        public Config withSeed(long s) { return new Config(features, kernel, orthogonal, redrawInterval, chunkSize, s); }

        @Override public String kind() { return "performer"; }
        @Override public Attention build(AttentionDims dims) { return new Performer(this, dims); }
    }

    static final double FEATURE_EPS = 1e-4;
    /**
     * System property: {@code true} (the default) spreads {@link VectorFavor}'s (batch, head) pairs over the cores;
     * {@code false}, one thread. Read when a layer is made.
     */
    static final String PARALLEL_PROPERTY = "etlab.attention.vector.parallel";

    private final Config config;
    private final boolean simd, parallel;

    public Performer(Config config, AttentionDims dims) {
        this(config, dims, Simd.enabled());
    }

    /** With the kernel chosen here ({@code simd}: {@link VectorFavor} where it applies): the tests compare the two. */
    Performer(Config config, AttentionDims dims, boolean simd) {
        super(dims);
        this.config = config;
        this.simd = simd;
        this.parallel = Boolean.parseBoolean(System.getProperty(PARALLEL_PROPERTY, "true"));
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    protected void declareExtra(ParamStore store, String prefix) {
        store.buffer(prefix + "omega", (shape, type, rng) -> draw(rng).castTo(type), config.features(), dims.headDim()); // (m, Dh)
    }

    /** A fresh ω (m × Dh) from {@code rng}. */
    INDArray draw(Random rng) {
        return config.orthogonal() ? RandomFeatures.orthogonal(config.features(), dims.headDim(), rng)
            : RandomFeatures.iid(config.features(), dims.headDim(), rng);
    }

    /** Redraws ω before steps 1 + k·interval (k ≥ 1), seeded by (config seed, layer, step). */
    @Override
    public void beforeTrainingStep(ParamStore store, String prefix, int step) {
        if (config.redrawInterval() > 0 && step > 1 && (step - 1) % config.redrawInterval() == 0) {
            redraw(store, prefix, config.seed() * 1_000_003L + prefix.hashCode() * 31L + step);
        }
    }

    /** Replaces ω in place with a new draw. */
    public void redraw(ParamStore store, String prefix, long seed) {
        store.assign(prefix + "omega", draw(new Random(seed)).castTo(store.dataType()));
    }

    @Override
    protected <T> T attend(Ops<T> ops, String prefix, T q, T k, T v, T keyPadding) {
        T omega = ops.param(prefix + "omega");
        if (usesVectorKernel(ops)) return vectorAttention(ops, q, k, v, omega, keyPadding);
        T qf = features(ops, q, omega, true);  // (B, H, T, m)
        T kf = features(ops, k, omega, false); // (B, H, T, m)
        if (dims.causal()) {
            if (keyPadding != null) kf = ops.mul(kf, keep(ops, keyPadding));  // padded keys contribute nothing
            return causal(ops, qf, kf, v);
        }
        // bidirectional: mask V and the key sum (Dh- and 1-wide) rather than the m-wide φ(K)
        T keepKeys = keyPadding == null ? null : keep(ops, keyPadding);                           // (B, H, T, 1)
        return bidirectional(ops, qf, kf, keepKeys == null ? v : ops.mul(v, keepKeys), keepKeys);
    }

    /** Whether attend runs on {@link VectorFavor}: bidirectional FAVOR+ in float32 on the eager or tape engine. */
    <T> boolean usesVectorKernel(Ops<T> ops) {
        return simd && !dims.causal() && config.kernel() == Kernel.SOFTMAX && ops.dataType() == DataType.FLOAT
            && (ops instanceof NdOps || ops instanceof TapeOps);
    }

    /** D⁻¹ φ(Q)(φ(K)ᵀV) by {@link VectorFavor}: (B, H, T, Dh); on the tape, with its backward (ω is a fixed buffer). */
    @SuppressWarnings("unchecked")
    private <T> T vectorAttention(Ops<T> ops, T q, T k, T v, T omega, T keyPadding) {
        if (ops instanceof NdOps nd) {
            return (T) new VectorFavor(nd, (INDArray) omega, FEATURE_EPS, parallel).forward((INDArray) q, (INDArray) k, (INDArray) v,
                (INDArray) keyPadding);
        }
        TapeOps tape = (TapeOps) ops;
        Var vq = (Var) q, vk = (Var) k, vv = (Var) v, w = (Var) omega;
        INDArray keep = keyPadding == null ? null : ((Var) keyPadding).value();
        NdOps nd = NdOps.of(name -> { throw new IllegalStateException("no parameters in the FAVOR+ kernel"); }, tape.dataType());
        VectorFavor kernel = new VectorFavor(nd, w.value(), FEATURE_EPS, parallel);
        INDArray out = kernel.forward(vq.value(), vk.value(), vv.value(), keep);
        return (T) tape.custom(new Var[] {vq, vk, vv, w}, new INDArray[] {out},
            g -> kernel.backward(vq.value(), vk.value(), vv.value(), keep, g[0], w.requiresGrad()))[0];
    }

    /** keyPadding (B, T) → (B, H, T, 1) of 1 for tokens, 0 for padding. */
    private <T> T keep(Ops<T> ops, T keyPadding) {
        long[] s = ops.shape(keyPadding);
        return ops.mul(ops.reshape(keyPadding, s[0], 1, s[1], 1), ops.constant(org.nd4j.linalg.factory.Nd4j.ones(ops.dataType(), 1, dims.heads(), 1, 1)));
    }

    /**
     * φ(x) for x (B, H, T, Dh) → (B, H, T, m), up to a factor that is the same for every key (or for
     * every feature of one query) and so cancels in D⁻¹: the 1/√m of Lemma 1 is left out, and the
     * maximum M is subtracted as explained in the class comment.
     */
    <T> T features(Ops<T> ops, T x, T omega, boolean query) {
        T xs = ops.mul(x, Math.pow(dims.headDim(), -0.25));                 // x · d^(−1/4)
        T proj = ops.linear(xs, ops.transposeLast(omega));                    // ωᵀx: (B, H, T, m)
        if (config.kernel() == Kernel.RELU) {                                 // ReLU(ωᵀx)/√m + ε, times √m
            return ops.add(ops.relu(proj), FEATURE_EPS * Math.sqrt(config.features()));
        }
        T halfNorm = ops.mul(ops.sum(ops.square(xs), true, -1), 0.5);         // |x|²/2: (B, H, T, 1)
        T shifted = ops.sub(proj, halfNorm);                                   // log of √m·φ(x): Lemma 1
        // Subtract a maximum M before exp (per query row; for keys over features and sequence) and
        // add ε·e^(−M): φ ∝ e^(−M)·(exp(ωᵀx − |x|²/2) + ε). The factor e^(−M) is constant over each
        // normalisation, so it cancels exactly: M only keeps exp in range, never changes the value —
        // which keeps the causal form causal and makes stopping M's gradient exact.
        T max = ops.stopGradient(query ? ops.max(proj, true, -1) : ops.max(proj, true, -1, -2));
        T epsilon = ops.mul(ops.exp(ops.neg(max)), FEATURE_EPS);
        return ops.add(ops.exp(ops.sub(shifted, max)), epsilon);
    }

    /** D⁻¹ φ(Q)(φ(K)ᵀV): (B, H, T, Dh). {@code keep} (B, H, T, 1) marks real keys, or null for all. */
    static <T> T bidirectional(Ops<T> ops, T qf, T kf, T v, T keep) {
        T kv = ops.matmul(kf, v, true, false);                        // φ(K)ᵀV: (B, H, m, Dh)
        T numerator = ops.matmul(qf, kv);                             // (B, H, T, Dh)
        T kSum = keep == null ? ops.transposeLast(ops.sum(kf, true, -2)) // φ(K)ᵀ1: (B, H, m, 1)
            : ops.matmul(kf, keep, true, false);
        T denominator = ops.matmul(qf, kSum);                         // (B, H, T, 1)
        return ops.div(numerator, denominator);
    }

    /**
     * Causal FAVOR+ by chunks of C positions: inside a chunk the exact masked product
     * (φ(Q_c)φ(K_c)ᵀ ⊙ L) V_c; from earlier chunks, prefix sums Σ φ(k)vᵀ and Σ φ(k).
     */
    <T> T causal(Ops<T> ops, T qf, T kf, T v) {
        long[] s = ops.shape(qf);
        long b = s[0], h = s[1], t = s[2], m = s[3], dh = ops.size(v, -1);
        long c = Math.min(config.chunkSize(), t);
        long padded = Chunks.paddedLength(t, c), n = padded / c;
        // padding: queries get φ = 1 (so their discarded rows never divide 0 by 0), keys and values 0
        qf = ops.reshape(Chunks.padAxis(ops, qf, 2, padded - t, 1.0), b, h, n, c, m);
        kf = ops.reshape(Chunks.padAxis(ops, kf, 2, padded - t, 0.0), b, h, n, c, m);
        v = ops.reshape(Chunks.padAxis(ops, v, 2, padded - t, 0.0), b, h, n, c, dh);

        T local = ops.mul(ops.matmul(qf, kf, false, true), ops.constant(Chunks.lowerTriangle(c, ops.dataType()))); // (B, H, n, C, C)
        T localNum = ops.matmul(local, v);                                      // (B, H, n, C, Dh)
        T localDen = ops.sum(local, true, -1);                                  // (B, H, n, C, 1)

        T stateKv = ops.cumsum(ops.matmul(kf, v, true, false), 2, true);       // Σ over earlier chunks of φ(k)vᵀ: (B, H, n, m, Dh)
        T stateK = ops.cumsum(ops.sum(kf, true, -2), 2, true);                 // Σ over earlier chunks of φ(k): (B, H, n, 1, m)
        T num = ops.add(localNum, ops.matmul(qf, stateKv));                    // (B, H, n, C, Dh)
        T den = ops.add(localDen, ops.matmul(qf, stateK, false, true));        // (B, H, n, C, 1)
        T out = ops.reshape(ops.div(num, den), b, h, padded, dh);
        return ops.slice(out, 2, 0, t);
    }
}
