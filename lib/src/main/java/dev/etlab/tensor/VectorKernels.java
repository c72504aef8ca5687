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
 *   <li>GELU, tanh form (Hendrycks and Gimpel 2016; {@link Ops#gelu}), y = ½x(1 + tanh u), u = k(x + 0.044715x³),
 *       k = √(2/π), and its derivative ½(1 + tanh u) + ½x(1 − tanh²u)·k(1 + 3·0.044715x²), the tape's
 *       σ(2u) + x·σ(1 − σ)·dz/dx written with tanh (σ(2u) = ½(1 + tanh u));</li>
 *   <li>softmax cross-entropy ({@link Ops#softmaxCrossEntropy}): −log softmax(x)[target] per row and its backward
 *       softmax(x) − onehot(target), exp by the Vector API's {@code EXP}.</li>
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
    private static final float GELU_K = (float) Math.sqrt(2.0 / Math.PI), GELU_A = 0.044715f;

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

    /** GELU (tanh form) of n values: y = ½x(1 + tanh(k(x + 0.044715x³))). */
    static void geluForward(float[] x, int n, float[] y) {
        int bound = F.loopBound(n), e = 0;
        for (; e < bound; e += L) {
            FloatVector v = FloatVector.fromArray(F, x, e);
            FloatVector half = v.mul(0.5f);
            half.fma(tanhU(v), half).intoArray(y, e);                       // ½x·tanh u + ½x
        }
        for (; e < n; e++) {
            float v = x[e];
            y[e] = 0.5f * v * (1 + (float) Math.tanh(GELU_K * (v + GELU_A * v * v * v)));
        }
    }

    /** GELU backward: dx = dy·(½(1 + t) + ½x(1 − t²)·k(1 + 3·0.044715x²)), t = tanh u. */
    static void geluBackward(float[] dy, float[] x, int n, float[] dx) {
        int bound = F.loopBound(n), e = 0;
        for (; e < bound; e += L) {
            FloatVector v = FloatVector.fromArray(F, x, e);
            FloatVector t = tanhU(v);
            FloatVector du = v.mul(v).mul(3 * GELU_A * GELU_K).add(GELU_K);   // du/dx = k(1 + 3a·x²)
            FloatVector sech2 = t.fma(t.neg(), FloatVector.broadcast(F, 1f)); // 1 − t²
            FloatVector slope = v.mul(sech2).mul(du).add(t).add(1f).mul(0.5f);
            FloatVector.fromArray(F, dy, e).mul(slope).intoArray(dx, e);
        }
        for (; e < n; e++) {
            float v = x[e], t = (float) Math.tanh(GELU_K * (v + GELU_A * v * v * v));
            float du = GELU_K * (1 + 3 * GELU_A * v * v);
            dx[e] = dy[e] * 0.5f * (1 + t + v * (1 - t * t) * du);
        }
    }

    /**
     * Softmax cross-entropy of {@code rows} rows of logits stored {@code w} apart (w a multiple of the lane count;
     * columns past the vocabulary hold −∞ and weigh exactly 0): lse = m + log Σ exp(x − m), m the row max, and
     * nll = lse − x[target] (0 for a target outside the row, as a one-hot of it is all zeros).
     */
    static void crossEntropyForward(float[] x, int[] targets, int rows, int v, int w, float[] nll, float[] lse) {
        for (int row = 0, o = 0; row < rows; row++, o += w) {
            FloatVector maxV = FloatVector.fromArray(F, x, o);
            for (int c = L; c < w; c += L) maxV = maxV.max(FloatVector.fromArray(F, x, o + c));
            float m = maxV.reduceLanes(VectorOperators.MAX);
            FloatVector mV = FloatVector.broadcast(F, m), sum = FloatVector.zero(F);
            for (int c = 0; c < w; c += L) sum = sum.add(FloatVector.fromArray(F, x, o + c).sub(mV).lanewise(VectorOperators.EXP));
            lse[row] = m + (float) Math.log(sum.reduceLanes(VectorOperators.ADD));
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
            FloatVector lseV = FloatVector.broadcast(F, lse[row]), gV = FloatVector.broadcast(F, counts ? dnll[row] : 0);
            for (int c = 0; c < w; c += L) {
                FloatVector.fromArray(F, x, o + c).sub(lseV).lanewise(VectorOperators.EXP).mul(gV).intoArray(dx, o + c);
            }
            if (counts) dx[o + targets[row]] -= dnll[row];
        }
    }

    /** Lanes of a float vector here: the row stride of {@link #crossEntropyForward}'s rows is a multiple of it. */
    static int lanes() {
        return L;
    }

    /** tanh(k(x + 0.044715x³)) lane-wise. */
    private static FloatVector tanhU(FloatVector v) {
        FloatVector u = v.mul(v).mul(GELU_A * GELU_K).add(GELU_K).mul(v);     // k·x·(1 + a·x²)
        return u.lanewise(VectorOperators.TANH);
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
