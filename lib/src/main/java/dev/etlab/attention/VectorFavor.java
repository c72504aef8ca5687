package dev.etlab.attention;

import dev.etlab.tensor.FloatArrays;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.VectorMath;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link Performer}'s bidirectional FAVOR+ (softmax kernel) in float32 with the JDK's Vector API (incubating in Java 17,
 * so chosen only when {@link dev.etlab.Simd#enabled()}): feature map, both linear-attention products and the
 * normalisation in one pass per (batch, head) pair, pairs spread over the cores. Its plain twin is
 * {@link Performer#features} and {@link Performer#bidirectional} on ND4J, computing exactly the same quantities:
 * <pre>
 * x̃ = x·d^(−1/4),  a_f = ω_fᵀx̃ − |x̃|²/2,  M = max_f ω_fᵀx̃ (per query; per head over every key and feature)
 * φ_f = exp(a_f − M) + ε·e^(−M)                                                      (Lemma 1, stabilised)
 * KV = Σ_j w_j φ(k_j) v_jᵀ,  ks = Σ_j w_j φ(k_j),  out_i = φ(q_i)ᵀKV / φ(q_i)ᵀks            (Eq. 4)
 * </pre>
 * with w_j = 1 for tokens, 0 for padded keys. M carries no gradient (it cancels exactly, see {@link Performer}).
 *
 * <p>Layout: features run along the vector lanes (m rounded up to whole vectors; features past m are forced to 0),
 * KV is kept as (Dh, m') so that both its update (a broadcast v_jc times φ(k_j)) and its use (a dot product per
 * output column) read contiguous feature vectors. Backward (recomputing φ and KV):
 * dnum = G/den, dden = −Σ_c G_c out_c / den, dφ(q) = KV·dnum + ks·dden, dKV += φ(q) dnumᵀ, dks += φ(q)·dden;
 * dφ(k_j) = w_j (dKVᵀ v_j + dks), dv_j = w_j dKV φ(k_j); through the feature map da = dφ ⊙ exp(a − M) and
 * dx = d^(−1/4)·(ωᵀda − x̃·Σ_f da_f).
 *
 * <p>Memory: Java copies of Q, K, V (and G) and the outputs, KV and dKV per head; φ(k_j) is recomputed (from k_j, the
 * head's M and ω) rather than stored, so nothing is T × m.
 * Results come back through {@code nd}.
 */
final class VectorFavor {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private final Ops<INDArray> nd;
    private final boolean parallel;
    private final int m, mp, dh;
    private final float xScale, eps;
    /** ωᵀ (Dh, m'), zeros past m. */
    private final float[] omegaT;
    /** 1 for the m real features, 0 past them. */
    private final float[] featureKeep;

    /** @param omega (m, Dh) random features; {@code eps} the ε of {@link Performer#FEATURE_EPS} */
    VectorFavor(Ops<INDArray> nd, INDArray omega, double eps, boolean parallel) {
        this.nd = nd;
        this.parallel = parallel;
        this.m = (int) omega.size(0);
        this.dh = (int) omega.size(1);
        this.mp = (m + L - 1) / L * L;
        this.xScale = (float) Math.pow(dh, -0.25);
        this.eps = (float) eps;
        float[] w = floats(omega);
        omegaT = new float[dh * mp];
        for (int f = 0; f < m; f++) for (int c = 0; c < dh; c++) omegaT[c * mp + f] = w[f * dh + c];
        featureKeep = new float[mp];
        java.util.Arrays.fill(featureKeep, 0, m, 1f);
    }

    /** Sizes of a call: (B, H, T, Dh). */
    private record Shape(int b, int h, int t, int bh) {
        Shape(INDArray q) {
            this((int) q.size(0), (int) q.size(1), (int) q.size(2), (int) (q.size(0) * q.size(1)));
        }
    }

    /** @param keep (B, T) 1 for tokens, 0 for padding, or null; @return out (B, H, T, Dh) */
    INDArray forward(INDArray q, INDArray k, INDArray v, INDArray keep) {
        Shape sh = new Shape(q);
        float[] qa = floats(q), ka = floats(k), va = floats(v), w = keep == null ? null : floats(keep);
        float[] out = new float[sh.bh * sh.t * dh];
        eachHead(sh, g -> forwardHead(g, sh, qa, ka, va, w, out));
        return nd.constant(FloatArrays.of(out, sh.b, sh.h, sh.t, dh));
    }

    /**
     * @param omegaGradient whether to compute dω (ω is a fixed buffer in training; a tape that differentiates every
     *                      parameter asks for it)
     * @return {dQ, dK, dV} for the output gradient {@code dOut}, each (B, H, T, Dh), and dω (m, Dh) or null
     */
    INDArray[] backward(INDArray q, INDArray k, INDArray v, INDArray keep, INDArray dOut, boolean omegaGradient) {
        Shape sh = new Shape(q);
        float[] qa = floats(q), ka = floats(k), va = floats(v), w = keep == null ? null : floats(keep), ga = floats(dOut);
        float[] dq = new float[sh.bh * sh.t * dh], dk = new float[dq.length], dv = new float[dq.length];
        float[][] dOmegaT = new float[sh.bh][];                                             // per head dωᵀ (Dh, m')
        eachHead(sh, g -> dOmegaT[g] = backwardHead(g, sh, qa, ka, va, w, ga, dq, dk, dv, omegaGradient));
        long[] shape = {sh.b, sh.h, sh.t, dh};
        return new INDArray[] {nd.constant(FloatArrays.of(dq, shape)), nd.constant(FloatArrays.of(dk, shape)),
            nd.constant(FloatArrays.of(dv, shape)), omegaGradient ? omegaGradient(dOmegaT) : null};
    }

    /** Σ over heads (in head order, so any thread count gives the same bits) of dωᵀ, as dω (m, Dh). */
    private INDArray omegaGradient(float[][] perHead) {
        float[] dOmega = new float[m * dh];
        for (float[] head : perHead) {
            for (int f = 0; f < m; f++) for (int c = 0; c < dh; c++) dOmega[f * dh + c] += head[c * mp + f];
        }
        return nd.constant(FloatArrays.of(dOmega, m, dh));
    }

    // ---------------------------------------------------------------- one head

    /**
     * The keys' side of one head: M (their stabiliser), KV (Dh, m'), ks (m'), and when Dh fits in one vector KVᵀ (m', L)
     * (zeros past Dh) for {@link #numerator}; null otherwise. φ(k_j) is recomputed where needed, never stored.
     */
    private record KeyState(float keyMax, float[] kv, float[] ks, float[] kvT) {}

    private KeyState keys(int g, Shape sh, float[] k, float[] v, float[] w) {
        int t = sh.t, base = g * t * dh;
        float[] xs = new float[dh], phi = new float[mp], expPart = new float[mp];
        float keyMax = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < t; j++) {                                                      // M = max over all j, f of ω_fᵀk̃_j
            scaled(k, base + j * dh, xs);
            keyMax = Math.max(keyMax, logFeatures(xs, phi, 0));
        }
        float[] kv = new float[dh * mp], ks = new float[mp];
        for (int j = 0; j < t; j++) {
            float wj = w == null ? 1f : w[(g / sh.h) * t + j];
            if (wj == 0f) continue;                                                        // a padded key adds nothing
            scaled(k, base + j * dh, xs);
            keyFeatures(xs, keyMax, phi, expPart);
            for (int f = 0; f < mp; f += L) {                                              // ks += w_j φ(k_j)
                FloatVector.fromArray(F, ks, f).add(FloatVector.fromArray(F, phi, f).mul(wj)).intoArray(ks, f);
            }
            for (int c = 0; c < dh; c++) {                                                 // KV[c] += w_j v_jc φ(k_j)
                FloatVector vc = FloatVector.broadcast(F, v[base + j * dh + c] * wj);
                for (int f = 0; f < mp; f += L) {
                    FloatVector.fromArray(F, phi, f).fma(vc, FloatVector.fromArray(F, kv, c * mp + f)).intoArray(kv, c * mp + f);
                }
            }
        }
        float[] kvT = null;
        if (dh <= L) {
            kvT = new float[mp * L];
            for (int c = 0; c < dh; c++) for (int f = 0; f < mp; f++) kvT[f * L + c] = kv[c * mp + f];
        }
        return new KeyState(keyMax, kv, ks, kvT);
    }

    private void forwardHead(int g, Shape sh, float[] q, float[] k, float[] v, float[] w, float[] out) {
        KeyState keys = keys(g, sh, k, v, w);
        float[] xs = new float[dh], phi = new float[mp], expPart = new float[mp], num = new float[dh];
        int base = g * sh.t * dh;
        for (int i = 0; i < sh.t; i++) {
            scaled(q, base + i * dh, xs);
            queryFeatures(xs, phi, expPart);
            float den = numerator(phi, keys, num);
            for (int c = 0; c < dh; c++) out[base + i * dh + c] = num[c] / den;
        }
    }

    /** Backward of one head into dq, dk, dv; returns its dωᵀ (Dh, m'), or null without {@code omegaGradient}. */
    private float[] backwardHead(int g, Shape sh, float[] q, float[] k, float[] v, float[] w, float[] grad, float[] dq,
                                 float[] dk, float[] dv, boolean omegaGradient) {
        KeyState keys = keys(g, sh, k, v, w);
        float[] dOmegaT = omegaGradient ? new float[dh * mp] : null;
        int t = sh.t, base = g * t * dh;
        float[] xs = new float[dh], phi = new float[mp], expPart = new float[mp], num = new float[dh], dnum = new float[dh];
        float[] dphi = new float[mp], dkv = new float[dh * mp], dks = new float[mp];
        for (int i = 0; i < t; i++) {
            scaled(q, base + i * dh, xs);
            queryFeatures(xs, phi, expPart);
            float den = numerator(phi, keys, num);
            float dden = 0;
            for (int c = 0; c < dh; c++) {
                float gc = grad[base + i * dh + c];
                dnum[c] = gc / den;                                                        // dnum = G / den
                dden -= gc * num[c] / (den * den);                                         // dden = −Σ G·num / den²
            }
            FloatVector ddenV = FloatVector.broadcast(F, dden);
            for (int f = 0; f < mp; f += L) {
                FloatVector p = FloatVector.fromArray(F, phi, f);
                FloatVector d = FloatVector.fromArray(F, keys.ks, f).mul(ddenV);           // dφ(q) = KV·dnum + ks·dden
                FloatVector.fromArray(F, dks, f).add(p.mul(ddenV)).intoArray(dks, f);     // dks += φ(q)·dden
                for (int c = 0; c < dh; c++) {
                    FloatVector dn = FloatVector.broadcast(F, dnum[c]);
                    d = FloatVector.fromArray(F, keys.kv, c * mp + f).fma(dn, d);
                    p.fma(dn, FloatVector.fromArray(F, dkv, c * mp + f)).intoArray(dkv, c * mp + f); // dKV += φ(q) dnumᵀ
                }
                d.intoArray(dphi, f);
            }
            featureMapBackward(dphi, 0, expPart, 0, xs, dq, base + i * dh, dOmegaT);
        }
        float[] dphiK = new float[mp];
        for (int j = 0; j < t; j++) {
            float wj = w == null ? 1f : w[(g / sh.h) * t + j];
            if (wj == 0f) continue;                                                        // a padded key: no gradient
            scaled(k, base + j * dh, xs);
            keyFeatures(xs, keys.keyMax, phi, expPart);                                    // φ(k_j), recomputed
            for (int f = 0; f < mp; f += L) {                                              // dφ(k_j) = w_j (dKVᵀ v_j + dks)
                FloatVector d = FloatVector.fromArray(F, dks, f);
                for (int c = 0; c < dh; c++) {
                    d = FloatVector.fromArray(F, dkv, c * mp + f).fma(FloatVector.broadcast(F, v[base + j * dh + c]), d);
                }
                d.mul(wj).intoArray(dphiK, f);
            }
            for (int c = 0; c < dh; c++) dv[base + j * dh + c] = wj * dot(dkv, c * mp, phi, 0);  // dv_j = w_j dKV φ(k_j)
            featureMapBackward(dphiK, 0, expPart, 0, xs, dk, base + j * dh, dOmegaT);
        }
        return dOmegaT;
    }

    // ---------------------------------------------------------------- feature map

    /** x̃ = x · d^(−1/4) for the row at {@code from}. */
    private void scaled(float[] x, int from, float[] into) {
        for (int c = 0; c < dh; c++) into[c] = x[from + c] * xScale;
    }

    /** a_f = ω_fᵀx̃ − |x̃|²/2 into {@code into[at..at + m')}; returns max_f ω_fᵀx̃ over the real features. */
    private float logFeatures(float[] xs, float[] into, int at) {
        float halfNorm = 0;
        for (int c = 0; c < dh; c++) halfNorm += xs[c] * xs[c];
        halfNorm *= 0.5f;
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int f = 0; f < mp; f += L) {
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;                           // two chains over Dh
            int c = 0;
            for (; c + 1 < dh; c += 2) {
                acc0 = FloatVector.fromArray(F, omegaT, c * mp + f).fma(FloatVector.broadcast(F, xs[c]), acc0);
                acc1 = FloatVector.fromArray(F, omegaT, (c + 1) * mp + f).fma(FloatVector.broadcast(F, xs[c + 1]), acc1);
            }
            if (c < dh) acc0 = FloatVector.fromArray(F, omegaT, c * mp + f).fma(FloatVector.broadcast(F, xs[c]), acc0);
            FloatVector proj = acc0.add(acc1);
            FloatVector keepF = FloatVector.fromArray(F, featureKeep, f);
            max = max.max(proj.add(FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), keepF.compare(VectorOperators.EQ, 0f)));
            proj.sub(halfNorm).intoArray(into, at + f);
        }
        return max.reduceLanes(VectorOperators.MAX);
    }

    /** One query's φ (max per row) into phi and exp(a − M) into expPart. */
    private void queryFeatures(float[] xs, float[] phi, float[] expPart) {
        stabilised(phi, logFeatures(xs, phi, 0), expPart);
    }

    /** One key's φ with the head's stabiliser M into phi and exp(a − M) into expPart. */
    private void keyFeatures(float[] xs, float keyMax, float[] phi, float[] expPart) {
        logFeatures(xs, phi, 0);
        stabilised(phi, keyMax, expPart);
    }

    /** phi holds a on entry; φ = exp(a − M) + ε e^(−M) on exit (0 past m), exp(a − M) into expPart. */
    private void stabilised(float[] phi, float max, float[] expPart) {
        FloatVector epsTerm = FloatVector.broadcast(F, eps * (float) Math.exp(-max));
        for (int f = 0; f < mp; f += L) {
            FloatVector keepF = FloatVector.fromArray(F, featureKeep, f);
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, phi, f).sub(max)).mul(keepF);
            e.intoArray(expPart, f);
            e.add(epsTerm.mul(keepF)).intoArray(phi, f);
        }
    }

    /** num_c = φᵀKV[c] into num; returns den = φᵀks. */
    private float numerator(float[] phi, KeyState keys, float[] num) {
        if (keys.kvT == null) {
            for (int c = 0; c < dh; c++) num[c] = dot(keys.kv, c * mp, phi, 0);
        } else {                                                                           // Dh ≤ L: whole KVᵀ rows, no reductions
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int f = 0;
            for (; f + 3 < mp; f += 4) {
                a0 = FloatVector.fromArray(F, keys.kvT, f * L).fma(FloatVector.broadcast(F, phi[f]), a0);
                a1 = FloatVector.fromArray(F, keys.kvT, (f + 1) * L).fma(FloatVector.broadcast(F, phi[f + 1]), a1);
                a2 = FloatVector.fromArray(F, keys.kvT, (f + 2) * L).fma(FloatVector.broadcast(F, phi[f + 2]), a2);
                a3 = FloatVector.fromArray(F, keys.kvT, (f + 3) * L).fma(FloatVector.broadcast(F, phi[f + 3]), a3);
            }
            for (; f < mp; f++) a0 = FloatVector.fromArray(F, keys.kvT, f * L).fma(FloatVector.broadcast(F, phi[f]), a0);
            float[] row = new float[L];
            a0.add(a1).add(a2.add(a3)).intoArray(row, 0);
            System.arraycopy(row, 0, num, 0, dh);
        }
        return dot(keys.ks, 0, phi, 0);
    }

    /** dx[at..] = d^(−1/4)·(ωᵀda − x̃ Σ_f da_f), da = dφ ⊙ exp(a − M); dωᵀ[c] += x̃_c·da when dOmegaT is given. */
    private void featureMapBackward(float[] dphi, int dAt, float[] expPart, int eAt, float[] xs, float[] dx, int at,
                                    float[] dOmegaT) {
        FloatVector sum = FloatVector.zero(F);
        for (int f = 0; f < mp; f += L) {
            FloatVector da = FloatVector.fromArray(F, dphi, dAt + f).mul(FloatVector.fromArray(F, expPart, eAt + f));
            da.intoArray(dphi, dAt + f);
            sum = sum.add(da);
        }
        float daSum = sum.reduceLanes(VectorOperators.ADD);
        for (int c = 0; c < dh; c++) dx[at + c] = xScale * (dot(omegaT, c * mp, dphi, dAt) - xs[c] * daSum);
        if (dOmegaT == null) return;
        for (int c = 0; c < dh; c++) {                                                     // ∂a_f/∂ω_fc = x̃_c
            FloatVector xc = FloatVector.broadcast(F, xs[c]);
            for (int f = 0; f < mp; f += L) {
                FloatVector.fromArray(F, dphi, dAt + f).fma(xc, FloatVector.fromArray(F, dOmegaT, c * mp + f)).intoArray(dOmegaT, c * mp + f);
            }
        }
    }

    /** Σ_f a[ai + f] b[bi + f] over the m' features, in two independent chains. */
    private float dot(float[] a, int ai, float[] b, int bi) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0;
        int f = 0;
        for (; f + L < mp; f += 2 * L) {
            s0 = FloatVector.fromArray(F, a, ai + f).fma(FloatVector.fromArray(F, b, bi + f), s0);
            s1 = FloatVector.fromArray(F, a, ai + f + L).fma(FloatVector.fromArray(F, b, bi + f + L), s1);
        }
        if (f < mp) s0 = FloatVector.fromArray(F, a, ai + f).fma(FloatVector.fromArray(F, b, bi + f), s0);
        return s0.add(s1).reduceLanes(VectorOperators.ADD);
    }

    // ---------------------------------------------------------------- plumbing

    /** Runs body for every (batch, head) pair, over the cores when {@code parallel} and there is more than one. */
    private void eachHead(Shape sh, java.util.function.IntConsumer body) {
        if (parallel && sh.bh > 1 && (long) sh.t * mp >= 1 << 14) IntStream.range(0, sh.bh).parallel().forEach(body);
        else for (int g = 0; g < sh.bh; g++) body.accept(g);
    }

    private static float[] floats(INDArray x) {
        INDArray c = !x.isView() && x.ordering() == 'c' && x.offset() == 0 && x.data().length() == x.length() ? x : x.dup('c');
        return c.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).data().asFloat();
    }
}
