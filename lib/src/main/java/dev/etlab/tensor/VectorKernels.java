package dev.etlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise chains of a training step fused into one or two passes over float32 rows with the JDK's Vector API
 * (incubating in Java 17, so loaded only when {@link dev.etlab.Simd#enabled()}: callers go through {@link Fused}).
 * Each kernel is the twin of an ND4J composite that stays as the plain path (float64, or the Vector API off):
 * <ul>
 *   <li>LayerNorm forward (Ba et al. 2016, eq. 4; {@link Ops#layerNorm}): mean, biased variance, normalise, gain and
 *       bias in two passes per row, keeping only each row's mean and 1/√(var + ε) for the backward;</li>
 *   <li>LayerNorm backward ({@link TapeOps#layerNorm}): dx = r·(dx̂ − mean(dx̂) − x̂·mean(dx̂ ⊙ x̂)), dx̂ = dy ⊙ γ, with
 *       dγ = Σ dy ⊙ x̂ and dβ = Σ dy over rows, x̂ recomputed from x;</li>
 *   <li>GELU, tanh form (Hendrycks and Gimpel 2016; {@link Ops#gelu}), y = ½x(1 + tanh u) = x·σ(2u),
 *       u = √(2/π)(x + 0.044715x³), and its derivative σ(2u) + x·σ(1 − σ)·d(2u)/dx, as the tape's twin writes it;
 *       tanh as a rational function (see {@link #tanh(FloatVector)} for why not the Vector API's TANH);</li>
 *   <li>softmax cross-entropy ({@link Ops#softmaxCrossEntropy}): −log softmax(x)[target] per row and its backward
 *       softmax(x) − onehot(target); the max by vectors, exp by {@code Math.exp} (the same bits in every JIT tier).</li>
 * </ul>
 * Rows are {@code d} consecutive floats; vectors run along a row, with a scalar tail when d is not a multiple of the
 * lane count. One thread, rows in order: the results do not depend on anything but the inputs (bit-identical runs).
 * dγ, dβ and a linear layer's bias gradient ({@link #columnSums}) are summed in float over blocks of {@link #BLOCK} rows and the blocks' sums added in double, so their
 * round-off does not grow with the number of rows.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Rows whose dγ, dβ terms are summed in float before going into the double totals. */
    static final int BLOCK = 16;
    /** GELU's c = 2√(2/π) (2u = c·x(1 + a·x²)) and a = 0.044715. */
    private static final float GELU_C = (float) (2 * Math.sqrt(2.0 / Math.PI)), GELU_A = 0.044715f;

    private VectorKernels() {}

    /**
     * LayerNorm forward of {@code rows} rows of width d: y = (x − μ)·r·γ + β with r = 1/√(σ² + ε); fills
     * {@code mean[row]} = μ and {@code rstd[row]} = r for the backward.
     */
    static void layerNormForward(float[] x, float[] gain, float[] bias, float eps, int rows, int d,
                                 float[] y, float[] mean, float[] rstd) {
        int bound = F.loopBound(d);
        for (int row = 0, o = 0; row < rows; row++, o += d) {
            float mu = rowSum(x, o, d, bound) / d;
            float r = (float) (1 / Math.sqrt(centredSquares(x, o, d, bound, mu) / d + eps));
            mean[row] = mu;
            rstd[row] = r;
            FloatVector muV = FloatVector.broadcast(F, mu), rV = FloatVector.broadcast(F, r);
            int c = 0;
            for (; c < bound; c += L) {
                FloatVector xhat = FloatVector.fromArray(F, x, o + c).sub(muV).mul(rV);
                xhat.fma(FloatVector.fromArray(F, gain, c), FloatVector.fromArray(F, bias, c)).intoArray(y, o + c);
            }
            for (; c < d; c++) y[o + c] = (x[o + c] - mu) * r * gain[c] + bias[c];
        }
    }

    /**
     * LayerNorm backward: dx (rows × d) from dy, x and the forward's μ and r; dγ and dβ (d each, overwritten) summed
     * over the rows.
     */
    static void layerNormBackward(float[] dy, float[] x, float[] mean, float[] rstd, float[] gain, int rows, int d,
                                  float[] dx, float[] dGain, float[] dBias) {
        int bound = F.loopBound(d);
        float[] blockGain = new float[d], blockBias = new float[d];
        double[] totalGain = new double[d], totalBias = new double[d];
        for (int row = 0, o = 0; row < rows; row++, o += d) {
            float mu = mean[row], r = rstd[row];
            FloatVector muV = FloatVector.broadcast(F, mu), rV = FloatVector.broadcast(F, r);
            // pass 1: Σ dx̂ and Σ dx̂ ⊙ x̂ for this row; dγ, dβ terms into the block's sums
            FloatVector sumA = FloatVector.zero(F), sumB = FloatVector.zero(F);
            int c = 0;
            for (; c < bound; c += L) {
                FloatVector g = FloatVector.fromArray(F, dy, o + c);
                FloatVector xhat = FloatVector.fromArray(F, x, o + c).sub(muV).mul(rV);
                FloatVector dxhat = g.mul(FloatVector.fromArray(F, gain, c));
                sumA = sumA.add(dxhat);
                sumB = dxhat.fma(xhat, sumB);
                g.fma(xhat, FloatVector.fromArray(F, blockGain, c)).intoArray(blockGain, c);
                g.add(FloatVector.fromArray(F, blockBias, c)).intoArray(blockBias, c);
            }
            float a = sumA.reduceLanes(VectorOperators.ADD), b = sumB.reduceLanes(VectorOperators.ADD);
            for (; c < d; c++) {
                float g = dy[o + c], xhat = (x[o + c] - mu) * r, dxhat = g * gain[c];
                a += dxhat;
                b += dxhat * xhat;
                blockGain[c] += g * xhat;
                blockBias[c] += g;
            }
            a /= d;
            b /= d;
            // pass 2: dx = r·(dx̂ − a − x̂·b)
            FloatVector aV = FloatVector.broadcast(F, a), bV = FloatVector.broadcast(F, b);
            for (c = 0; c < bound; c += L) {
                FloatVector xhat = FloatVector.fromArray(F, x, o + c).sub(muV).mul(rV);
                FloatVector dxhat = FloatVector.fromArray(F, dy, o + c).mul(FloatVector.fromArray(F, gain, c));
                dxhat.sub(aV).sub(xhat.mul(bV)).mul(rV).intoArray(dx, o + c);
            }
            for (; c < d; c++) {
                float xhat = (x[o + c] - mu) * r;
                dx[o + c] = (dy[o + c] * gain[c] - a - xhat * b) * r;
            }
            if ((row + 1) % BLOCK == 0 || row == rows - 1) {
                for (int e = 0; e < d; e++) {
                    totalGain[e] += blockGain[e];
                    totalBias[e] += blockBias[e];
                }
                java.util.Arrays.fill(blockGain, 0);
                java.util.Arrays.fill(blockBias, 0);
            }
        }
        for (int e = 0; e < d; e++) {
            dGain[e] = (float) totalGain[e];
            dBias[e] = (float) totalBias[e];
        }
    }

    /**
     * Column sums of a (rows × d) matrix (the bias gradient of a linear layer, Σ over rows of dy): in float over
     * blocks of {@link #BLOCK} rows, blocks added in double, like dγ and dβ.
     */
    static void columnSums(float[] g, int rows, int d, float[] out) {
        int bound = F.loopBound(d);
        float[] block = new float[d];
        double[] total = new double[d];
        for (int row = 0, o = 0; row < rows; row++, o += d) {
            int c = 0;
            for (; c < bound; c += L) FloatVector.fromArray(F, g, o + c).add(FloatVector.fromArray(F, block, c)).intoArray(block, c);
            for (; c < d; c++) block[c] += g[o + c];
            if ((row + 1) % BLOCK == 0 || row == rows - 1) {
                for (int e = 0; e < d; e++) total[e] += block[e];
                java.util.Arrays.fill(block, 0);
            }
        }
        for (int e = 0; e < d; e++) out[e] = (float) total[e];
    }

    /** GELU (tanh form) of n values: y = x·σ(2u). */
    static void geluForward(float[] x, int n, float[] y) {
        int bound = F.loopBound(n), e = 0;
        for (; e < bound; e += L) {
            FloatVector v = FloatVector.fromArray(F, x, e);
            v.mul(sigmoidTwoU(v)).intoArray(y, e);                           // ½x(1 + tanh u) = x·σ(2u)
        }
        for (; e < n; e++) y[e] = x[e] * sigmoidTwoU(x[e]);
    }

    /** GELU backward: dx = dy·(σ + x·σ(1 − σ)·c(1 + 3·0.044715x²)), σ = σ(2u). */
    static void geluBackward(float[] dy, float[] x, int n, float[] dx) {
        int bound = F.loopBound(n), e = 0;
        for (; e < bound; e += L) {
            FloatVector v = FloatVector.fromArray(F, x, e);
            FloatVector s = sigmoidTwoU(v);
            FloatVector dz = v.mul(v).mul(3 * GELU_A * GELU_C).add(GELU_C);   // d(2u)/dx = c(1 + 3a·x²)
            FloatVector slope = s.neg().add(1f).mul(s).mul(v).mul(dz).add(s);  // σ + x·σ(1 − σ)·dz
            FloatVector.fromArray(F, dy, e).mul(slope).intoArray(dx, e);
        }
        for (; e < n; e++) {
            float v = x[e], s = sigmoidTwoU(v), dz = GELU_C * (1 + 3 * GELU_A * v * v);
            dx[e] = dy[e] * ((1 - s) * s * v * dz + s);
        }
    }

    /**
     * Softmax cross-entropy of {@code rows} rows of logits stored {@code w} apart (w a multiple of the lane count;
     * columns past the vocabulary hold −∞): lse = m + log Σ exp(x − m), m the row max (by vectors), and
     * nll = lse − x[target] (0 for a target outside the row, as a one-hot of it is all zeros).
     */
    static void crossEntropyForward(float[] x, int[] targets, int rows, int v, int w, float[] nll, float[] lse) {
        for (int row = 0, o = 0; row < rows; row++, o += w) {
            FloatVector maxV = FloatVector.fromArray(F, x, o);
            for (int c = L; c < w; c += L) maxV = maxV.max(FloatVector.fromArray(F, x, o + c));
            float m = maxV.reduceLanes(VectorOperators.MAX);
            float sum = 0;
            for (int c = 0; c < v; c++) sum += (float) Math.exp(x[o + c] - m);                 // see crossEntropyBackward
            lse[row] = m + (float) Math.log(sum);
            int t = targets[row];
            nll[row] = t >= 0 && t < v ? lse[row] - x[o + t] : 0;
        }
    }

    /**
     * Its backward: dx = dnll·(softmax(x) − onehot(target)), softmax(x) = exp(x − lse); rows stored w apart, rows
     * whose target lies outside [0, v) get 0 (their nll is the constant 0).
     */
    static void crossEntropyBackward(float[] x, int[] targets, float[] lse, float[] dnll, int rows, int v, int w, float[] dx) {
        for (int row = 0, o = 0; row < rows; row++, o += w) {
            boolean counts = targets[row] >= 0 && targets[row] < v;
            float l = lse[row], g = counts ? dnll[row] : 0;
            // Math.exp, one value at a time: the Vector API's EXP rounds some values differently in the interpreter
            // than in C2 (VectorKernelsTest.theKernelsGiveTheSameBitsInEveryJitTier), Math.exp is one stub in every tier
            for (int c = 0; c < v; c++) dx[o + c] = g * (float) Math.exp(x[o + c] - l);
            if (counts) dx[o + targets[row]] -= dnll[row];
        }
    }

    /** Lanes of a float vector here: the row stride of {@link #crossEntropyForward}'s rows is a multiple of it. */
    static int lanes() {
        return L;
    }

    /**
     * σ(2u) = ½(1 + tanh u), u = ½c·x(1 + a·x²), lane-wise, tanh by {@link #tanh(FloatVector)}.
     */
    private static FloatVector sigmoidTwoU(FloatVector v) {
        FloatVector u = v.mul(v).mul(0.5f * GELU_A * GELU_C).add(0.5f * GELU_C).mul(v);   // ½c·x·(1 + a·x²)
        return tanh(u).add(1f).mul(0.5f);
    }

    /** {@link #sigmoidTwoU(FloatVector)} of one value. */
    private static float sigmoidTwoU(float x) {
        return 0.5f * (1 + tanh(0.5f * GELU_C * x * (1 + GELU_A * x * x)));
    }

    // tanh(x) ≈ x·p(x²)/q(x²) on |x| ≤ 7.9053 (±1 beyond, to float precision): Eigen's float tanh
    // (generic_fast_tanh_float), a rational minimax fit accurate to a few ulp.
    private static final float TANH_CLAMP = 7.90531110763549805f;
    private static final float A1 = 4.89352455891786e-03f, A3 = 6.37261928875436e-04f, A5 = 1.48572235717979e-05f,
        A7 = 5.12229709037114e-08f, A9 = -8.60467152213735e-11f, A11 = 2.00018790482477e-13f, A13 = -2.76076847742355e-16f;
    private static final float B0 = 4.89352518554385e-03f, B2 = 2.26843463243900e-03f, B4 = 1.18534705686654e-04f,
        B6 = 1.19825839466702e-06f;

    /**
     * tanh lane-wise from additions, multiplications and one division only. Not the Vector API's TANH: that gives
     * other bits in the interpreter (StrictMath.tanh per lane) than once C2 has compiled it (a vector stub), and so
     * did EXP here, so a model's output changed as the JIT warmed up; IEEE +, ×, ÷ give the same bits in every tier.
     */
    static FloatVector tanh(FloatVector x) {
        FloatVector c = x.max(-TANH_CLAMP).min(TANH_CLAMP), x2 = c.mul(c);
        FloatVector p = x2.mul(A13).add(A11).mul(x2).add(A9).mul(x2).add(A7).mul(x2).add(A5).mul(x2).add(A3).mul(x2).add(A1).mul(c);
        FloatVector q = x2.mul(B6).add(B4).mul(x2).add(B2).mul(x2).add(B0);
        return p.div(q);
    }

    /** {@link #tanh(FloatVector)} of one value, the same operations in the same order. */
    static float tanh(float x) {
        float c = Math.min(Math.max(x, -TANH_CLAMP), TANH_CLAMP), x2 = c * c;
        float p = ((((((x2 * A13 + A11) * x2 + A9) * x2 + A7) * x2 + A5) * x2 + A3) * x2 + A1) * c;
        float q = ((x2 * B6 + B4) * x2 + B2) * x2 + B0;
        return p / q;
    }

    /** Σ of row [o, o + d) with two independent accumulators (d = 64 is four vectors). */
    private static float rowSum(float[] x, int o, int d, int bound) {
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F);
        int c = 0;
        for (; c + L < bound; c += 2 * L) {
            s0 = s0.add(FloatVector.fromArray(F, x, o + c));
            s1 = s1.add(FloatVector.fromArray(F, x, o + c + L));
        }
        if (c < bound) {
            s0 = s0.add(FloatVector.fromArray(F, x, o + c));
            c += L;
        }
        float s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; c < d; c++) s += x[o + c];
        return s;
    }

    /** Σ (x − μ)² over row [o, o + d). */
    private static float centredSquares(float[] x, int o, int d, int bound, float mu) {
        FloatVector muV = FloatVector.broadcast(F, mu), s0 = FloatVector.zero(F), s1 = FloatVector.zero(F);
        int c = 0;
        for (; c + L < bound; c += 2 * L) {
            FloatVector a = FloatVector.fromArray(F, x, o + c).sub(muV), b = FloatVector.fromArray(F, x, o + c + L).sub(muV);
            s0 = a.fma(a, s0);
            s1 = b.fma(b, s1);
        }
        if (c < bound) {
            FloatVector a = FloatVector.fromArray(F, x, o + c).sub(muV);
            s0 = a.fma(a, s0);
            c += L;
        }
        float s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; c < d; c++) s += (x[o + c] - mu) * (x[o + c] - mu);
        return s;
    }
}
