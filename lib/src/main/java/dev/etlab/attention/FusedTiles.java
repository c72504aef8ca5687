package dev.etlab.attention;

import dev.etlab.tensor.Ops;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link ExactTiledAttention}'s kernel with each tile's element-wise chain in one plain-Java loop:
 * the two GEMMs of a forward tile (S = Q_i K_jᵀ, then P V_j) and the five of a backward tile stay
 * on ND4J, written into buffers made once per call, and everything between them (scale, causal and
 * padding masks, running maximum, exp, running sum, rescaling O; in the backward P = exp(S − L) and
 * dS = P ⊙ (dP − D)) is a single pass over the tile's scores. Dao et al. 2022, "FlashAttention",
 * https://arxiv.org/abs/2205.14135, Algorithms 1 and 2 (D = rowsum(dO ⊙ O) as in FlashAttention-2).
 *
 * <p>Float32 tiles by default ({@link #ND_EXP_PROPERTY}) are not copied into Java: a Java pass over the tile buffer's
 * live NIO view writes S − m' (S − L in the backward) in place, one in-place ND4J exp turns the whole tile into P,
 * and rowsum P comes out of the GEMM P·[V_j | 1]; rows are staged through a cols-long Java array. With the property
 * false, and for float64, the tile is copied into a Java array and exponentiated there by a scalar loop.
 *
 * <p>Scalar loops, no Vector API. Values equal {@link ExactTiledAttention.Tiles} (its twin, made of
 * ND4J calls) to rounding. Float32 tiles are computed in float, with the masks added in the twin's
 * order, so a row whose keys are all masked behaves as it does there (uniform weights, since −10⁹
 * absorbs the scores, and P = 1 in the backward, since L absorbs log ℓ); their exp is {@link #expf},
 * ~2 ulp. Float64 tiles use {@link Math#exp} in double throughout.
 *
 * <p>Memory: the inputs, O, L, the gradients, and per call a fixed set of (B, H, q-block, k-block)
 * tiles, one per distinct tile shape (at most four: full and ragged edges). The first tile of each
 * shape is made by a call on {@code nd}, so a spy sees it; Java working arrays are counted in
 * {@link #largestJavaArray}. The in-place forward also keeps [V_j | 1] for each key block it has seen, (Dh + 1)/Dh
 * times V in all, each made through {@code nd}.
 */
final class FusedTiles implements ExactTiledAttention.TileKernel {
    private final Ops<INDArray> nd;
    private final int bq, bk;
    private final boolean causal;
    /** Float32 tiles: exp by one in-place ND4J call per tile on the tile buffer itself (see {@link #ND_EXP_PROPERTY}). */
    private final boolean ndExp;
    /** Elements of the largest Java array this kernel has made (for the memory test). */
    long largestJavaArray;

    FusedTiles(Ops<INDArray> nd, int bq, int bk, boolean causal) {
        this(nd, bq, bk, causal, ndExpByDefault());
    }

    FusedTiles(Ops<INDArray> nd, int bq, int bk, boolean causal, boolean ndExp) {
        this.nd = nd;
        this.bq = bq;
        this.bk = bk;
        this.causal = causal;
        this.ndExp = ndExp;
    }

    /**
     * System property choosing how float32 tiles are exponentiated: {@code true} works on the tile's ND4J buffer in
     * place (a Java pass over its live NIO view writes S − m', then one vectorised ND4J exp over the whole tile, and
     * the row sums ℓ come out of the P·[V_j | 1] GEMM); {@code false}, the Java-array path with the scalar
     * {@link #expf}. Float64 tiles always take the Java-array path. Read when a kernel is made.
     */
    static final String ND_EXP_PROPERTY = "etlab.attention.fusedTiles.ndExp";

    static boolean ndExpByDefault() {
        return Boolean.parseBoolean(System.getProperty(ND_EXP_PROPERTY, "true"));
    }

    @Override
    public INDArray[] forward(INDArray q, INDArray k, INDArray v, INDArray padBias, double scale) {
        DataType type = q.dataType();
        boolean single = type == DataType.FLOAT;
        int b = (int) q.size(0), h = (int) q.size(1), t = (int) q.size(2), s = (int) k.size(2), dh = (int) q.size(3), bh = b * h;
        long offset = (long) s - t;
        q = contiguous(q);
        k = contiguous(k);
        v = contiguous(v);
        double[] pad = padBias == null ? null : doubles(padBias);                     // (B, S)
        float[] padF = pad == null || !single ? null : floats(pad);
        if (single && ndExp) return forwardInPlace(q, k, v, padF, (float) scale, b, h, t, s, dh);
        Work w = new Work(single, bh * Math.min(bq, t) * Math.min(bk, s));
        double[] m = javaArray(bh * Math.min(bq, t)), l = javaArray(bh * Math.min(bq, t));
        double[] acc = javaArray(bh * Math.min(bq, t) * dh), pv = javaArray(bh * Math.min(bq, t) * dh);
        double[] out = javaArray((long) bh * t * dh), lse = javaArray((long) bh * t);
        Map<Long, INDArray[]> buffers = new HashMap<>();
        for (int i0 = 0; i0 < t; i0 += bq) {
            int i1 = Math.min(t, i0 + bq), rows = i1 - i0;
            INDArray qi = rowsOf(q, i0, i1);
            java.util.Arrays.fill(m, 0, bh * rows, Masks.NEG * 4);                    // below any masked score
            java.util.Arrays.fill(l, 0, bh * rows, 0);
            java.util.Arrays.fill(acc, 0, bh * rows * dh, 0);
            int end = (int) keyEnd(i1, t, s);
            for (int j0 = 0; j0 < end; j0 += bk) {
                int j1 = Math.min(s, j0 + bk), cols = j1 - j0;
                INDArray kj = rowsOf(k, j0, j1), vj = rowsOf(v, j0, j1);
                INDArray[] buf = buffers.computeIfAbsent(((long) rows << 32) | cols, key -> {
                    INDArray sb = nd.matmul(qi, kj, false, true);                         // (B, H, rows, cols), seen by a spy
                    INDArray pb = nd.mul(sb, 0.0);
                    return new INDArray[] {sb, pb, nd.matmul(pb, vj, false, false)};      // S, P, P V_j
                });
                Nd4j.matmul(qi, kj, buf[0], false, true, false);                         // S = Q_i K_jᵀ
                w.read(buf[0], rows * cols * bh);
                if (single) {
                    forwardTile(w.f, padF, (float) scale, bh, h, rows, cols, i0, j0, offset, s, dh, m, l, acc);
                } else for (int g = 0; g < bh; g++) {
                    int batch = g / h;
                    for (int r = 0; r < rows; r++) {
                        int row = g * rows + r, base = row * cols;
                        long visible = i0 + r + offset;                                  // causal: keys ≤ this one
                        double rowMax = Double.NEGATIVE_INFINITY;
                        for (int c = 0; c < cols; c++) {
                            double x = w.get(base + c) * scale;
                            if (causal && j0 + c > visible) x = x + Masks.NEG;
                            if (pad != null) x = x + pad[batch * s + j0 + c];
                            w.x[base + c] = x;
                            rowMax = Math.max(rowMax, x);
                        }
                        double mNew = Math.max(m[row], rowMax), sum = 0;
                        for (int c = 0; c < cols; c++) {
                            double p = Math.exp(w.x[base + c] - mNew);   // P = exp(S − m')
                            w.put(base + c, p);
                            sum += p;
                        }
                        double correction = Math.exp(m[row] - mNew);                       // e^(m − m')
                        l[row] = l[row] * correction + sum;                                  // ℓ ← ℓ·e^(m − m') + rowsum P
                        for (int d = 0; d < dh; d++) acc[row * dh + d] *= correction;
                        m[row] = mNew;
                    }
                }
                w.write(buf[1], rows * cols * bh);
                Nd4j.matmul(buf[1], vj, buf[2], false, false, false);                    // P V_j
                readInto(buf[2], pv, bh * rows * dh);
                for (int e = 0; e < bh * rows * dh; e++) acc[e] += pv[e];                  // O ← O·e^(m − m') + P V_j
            }
            for (int g = 0; g < bh; g++) {
                for (int r = 0; r < rows; r++) {
                    int row = g * rows + r;
                    long at = (long) g * t + i0 + r;
                    for (int d = 0; d < dh; d++) out[(int) (at * dh + d)] = acc[row * dh + d] / l[row];
                    lse[(int) at] = m[row] + Math.log(l[row]);               // L = m + log ℓ
                }
            }
        }
        return new INDArray[] {array(out, type, b, h, t, dh), array(lse, type, b, h, t, 1)};
    }

    @Override
    public INDArray[] backward(INDArray q, INDArray k, INDArray v, INDArray padBias, double scale, INDArray out, INDArray lse,
                               INDArray dOut) {
        DataType type = q.dataType();
        boolean single = type == DataType.FLOAT;
        int b = (int) q.size(0), h = (int) q.size(1), t = (int) q.size(2), s = (int) k.size(2), dh = (int) q.size(3), bh = b * h;
        long offset = (long) s - t;
        q = contiguous(q);
        k = contiguous(k);
        v = contiguous(v);
        double[] pad = padBias == null ? null : doubles(padBias);
        float[] padF = pad == null || !single ? null : floats(pad);
        double[] o = doubles(out), dO = doubles(dOut), lRow = doubles(lse);
        double[] dRow = javaArray((long) bh * t);                                      // D = rowsum(dO ⊙ O)
        for (int row = 0; row < bh * t; row++) {
            double sum = 0;
            for (int d = 0; d < dh; d++) sum += dO[row * dh + d] * o[row * dh + d];
            dRow[row] = sum;
        }
        o = null;
        INDArray dOutC = contiguous(dOut);
        boolean inPlace = single && ndExp;
        Work sw = inPlace ? null : new Work(single, bh * Math.min(bq, t) * Math.min(bk, s));
        Work dpw = inPlace ? null : new Work(single, bh * Math.min(bq, t) * Math.min(bk, s));
        float[] rowX = inPlace ? new float[Math.min(bk, s)] : null, rowY = inPlace ? new float[Math.min(bk, s)] : null;
        double[] dq = javaArray((long) bh * t * dh), dk = javaArray((long) bh * s * dh), dv = javaArray((long) bh * s * dh);
        double[] small = javaArray(bh * (long) Math.max(Math.min(bq, t), Math.min(bk, s)) * dh);
        Map<Long, INDArray[]> buffers = new HashMap<>();
        for (int j0 = 0; j0 < s; j0 += bk) {
            int j1 = Math.min(s, j0 + bk), cols = j1 - j0;
            INDArray kj = rowsOf(k, j0, j1), vj = rowsOf(v, j0, j1);
            for (int i0 = 0; i0 < t; i0 += bq) {
                int i1 = Math.min(t, i0 + bq), rows = i1 - i0;
                if (j0 >= keyEnd(i1, t, s)) continue;                                     // the whole tile is in the future
                INDArray qi = rowsOf(q, i0, i1), doi = rowsOf(dOutC, i0, i1);
                INDArray[] buf = buffers.computeIfAbsent(((long) rows << 32) | cols, key -> {
                    INDArray sb = nd.matmul(qi, kj, false, true);                         // (B, H, rows, cols), seen by a spy
                    return new INDArray[] {sb, nd.mul(sb, 0.0), nd.mul(sb, 0.0), nd.mul(sb, 0.0),
                        nd.matmul(sb, qi, true, false), nd.matmul(sb, kj, false, false)};  // S, dP, P, dS, (cols, Dh), (rows, Dh)
                });
                Nd4j.matmul(qi, kj, buf[0], false, true, false);                         // S = Q_i K_jᵀ
                Nd4j.matmul(doi, vj, buf[1], false, true, false);                        // dP = dO_i V_jᵀ
                int n = bh * rows * cols;
                if (inPlace) {
                    FloatBuffer sp = buf[0].data().asNioFloat(), dp = buf[1].data().asNioFloat();
                    backwardShift(sp, padF, (float) scale, bh, h, rows, cols, i0, j0, offset, s, t, lRow, rowX);   // S ← S/√d + masks − L
                    Transforms.exp(buf[0], false);                                                         // P = exp(S − L), in place
                    backwardDs(sp, dp, bh, rows, cols, i0, t, dRow, rowX, rowY);                                          // dP ← P ⊙ (dP − D) = dS
                    Nd4j.matmul(buf[0], doi, buf[4], true, false, false);                    // Pᵀ dO_i
                    accumulate(buf[4], small, dv, bh, cols, s, j0, dh, 1.0);                   // dV_j += Pᵀ dO_i
                    Nd4j.matmul(buf[1], qi, buf[4], true, false, false);                     // dSᵀ Q_i
                    accumulate(buf[4], small, dk, bh, cols, s, j0, dh, scale);                 // dK_j += dSᵀ Q_i / √d
                    Nd4j.matmul(buf[1], kj, buf[5], false, false, false);                    // dS K_j
                    accumulate(buf[5], small, dq, bh, rows, t, i0, dh, scale);                 // dQ_i += dS K_j / √d
                    continue;
                }
                sw.read(buf[0], n);
                dpw.read(buf[1], n);
                if (single) {
                    backwardTile(sw.f, dpw.f, padF, (float) scale, bh, h, rows, cols, i0, j0, offset, s, t, lRow, dRow);
                } else for (int g = 0; g < bh; g++) {
                    int batch = g / h;
                    for (int r = 0; r < rows; r++) {
                        int base = (g * rows + r) * cols;
                        long visible = i0 + r + offset, at = (long) g * t + i0 + r;
                        double lOfRow = lRow[(int) at], dOfRow = dRow[(int) at];
                        for (int c = 0; c < cols; c++) {
                            double x = sw.get(base + c) * scale;
                            if (causal && j0 + c > visible) x = x + Masks.NEG;
                            if (pad != null) x = x + pad[batch * s + j0 + c];
                            double p = Math.exp(x - lOfRow);  // P = exp(S − L)
                            sw.put(base + c, p);
                            dpw.put(base + c, p * (dpw.get(base + c) - dOfRow));  // dS = P ⊙ (dP − D)
                        }
                    }
                }
                sw.write(buf[2], n);
                dpw.write(buf[3], n);
                Nd4j.matmul(buf[2], doi, buf[4], true, false, false);                    // Pᵀ dO_i
                accumulate(buf[4], small, dv, bh, cols, s, j0, dh, 1.0);                   // dV_j += Pᵀ dO_i
                Nd4j.matmul(buf[3], qi, buf[4], true, false, false);                     // dSᵀ Q_i
                accumulate(buf[4], small, dk, bh, cols, s, j0, dh, scale);                 // dK_j += dSᵀ Q_i / √d
                Nd4j.matmul(buf[3], kj, buf[5], false, false, false);                    // dS K_j
                accumulate(buf[5], small, dq, bh, rows, t, i0, dh, scale);                 // dQ_i += dS K_j / √d
            }
        }
        return new INDArray[] {array(dq, type, b, h, t, dh), array(dk, type, b, h, s, dh), array(dv, type, b, h, s, dh)};
    }

    /**
     * The float32 forward with each tile worked on in its ND4J buffer: S = Q_i K_jᵀ; one Java pass over the buffer's
     * live NIO view scales and masks S, finds m' and writes S − m'; one in-place ND4J exp turns it into P; the GEMM
     * P·[V_j | 1] gives P V_j and, in its last column, rowsum P. No tile is copied into Java.
     */
    private INDArray[] forwardInPlace(INDArray q, INDArray k, INDArray v, float[] pad, float scale, int b, int h, int t, int s,
                                      int dh) {
        int bh = b * h, dw = dh + 1;
        long offset = (long) s - t;
        int most = bh * Math.min(bq, t);
        double[] m = javaArray(most), l = javaArray(most), correction = javaArray(most);
        double[] acc = javaArray((long) most * dh), pv = javaArray((long) most * dw);
        double[] out = javaArray((long) bh * t * dh), lse = javaArray((long) bh * t);
        float[] rowX = new float[Math.min(bk, s)];
        Map<Long, INDArray[]> buffers = new HashMap<>();
        Map<Integer, INDArray> withOnes = new HashMap<>();
        for (int i0 = 0; i0 < t; i0 += bq) {
            int i1 = Math.min(t, i0 + bq), rows = i1 - i0;
            INDArray qi = rowsOf(q, i0, i1);
            java.util.Arrays.fill(m, 0, bh * rows, Masks.NEG * 4);                    // below any masked score
            java.util.Arrays.fill(l, 0, bh * rows, 0);
            java.util.Arrays.fill(acc, 0, bh * rows * dh, 0);
            int end = (int) keyEnd(i1, t, s);
            for (int j0 = 0; j0 < end; j0 += bk) {
                int j1 = Math.min(s, j0 + bk), cols = j1 - j0;
                INDArray kj = rowsOf(k, j0, j1), vj = rowsOf(v, j0, j1);
                INDArray vOnes = withOnes.computeIfAbsent(j0, key ->                       // [V_j | 1], (B, H, cols, Dh + 1), once per key block
                    nd.concat(3, vj, nd.add(nd.mul(nd.slice(vj, 3, 0, 1), 0.0), 1.0)));
                INDArray[] buf = buffers.computeIfAbsent(((long) rows << 32) | cols, key -> {
                    INDArray sb = nd.matmul(qi, kj, false, true);                         // (B, H, rows, cols), seen by a spy
                    return new INDArray[] {sb, nd.matmul(sb, vOnes, false, false)};
                });
                Nd4j.matmul(qi, kj, buf[0], false, true, false);                         // S = Q_i K_jᵀ
                FloatBuffer sp = buf[0].data().asNioFloat();
                forwardShift(sp, pad, scale, bh, h, rows, cols, i0, j0, offset, s, m, correction, rowX);
                Transforms.exp(buf[0], false);                                            // P = exp(S − m'), in place
                Nd4j.matmul(buf[0], vOnes, buf[1], false, false, false);                 // [P V_j | rowsum P]
                readInto(buf[1], pv, bh * rows * dw);
                for (int row = 0; row < bh * rows; row++) {
                    double c = correction[row];
                    l[row] = l[row] * c + pv[row * dw + dh];                               // ℓ ← ℓ·e^(m − m') + rowsum P
                    for (int d = 0; d < dh; d++) acc[row * dh + d] = acc[row * dh + d] * c + pv[row * dw + d]; // O ← O·e^(m − m') + P V_j
                }
            }
            for (int g = 0; g < bh; g++) {
                for (int r = 0; r < rows; r++) {
                    int row = g * rows + r;
                    long at = (long) g * t + i0 + r;
                    for (int d = 0; d < dh; d++) out[(int) (at * dh + d)] = acc[row * dh + d] / l[row];
                    lse[(int) at] = m[row] + Math.log(l[row]);               // L = m + log ℓ
                }
            }
        }
        return new INDArray[] {array(out, DataType.FLOAT, b, h, t, dh), array(lse, DataType.FLOAT, b, h, t, 1)};
    }

    /**
     * In the tile buffer (B·H·rows, cols): S ← S/√d + masks − m' with m' = max(m, rowmax), in float as the twin; m ← m'
     * and correction = e^(m − m') per row. Each row is staged through a cols-long Java array (bulk copies that stay in
     * L1; element-wise access to the NIO view was 2× slower, as C2 does not vectorise it). Without masks in a row the
     * maximum is taken on the raw scores (x ↦ x/√d rounds monotonically, so it is the same number).
     */
    private void forwardShift(FloatBuffer sp, float[] pad, float scale, int bh, int h, int rows, int cols, int i0, int j0,
                              long offset, int s, double[] m, double[] correction, float[] x) {
        float neg = (float) Masks.NEG;
        for (int row = 0; row < bh * rows; row++) {
            int g = row / rows, r = row % rows, base = row * cols, padAt = (g / h) * s + j0;
            int seen = causal ? (int) Math.max(0, Math.min(cols, i0 + r + offset - j0 + 1)) : cols;      // keys c < seen are visible
            sp.get(base, x, 0, cols);
            double mNew;
            if (pad == null && seen == cols) {
                float raw = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) raw = Math.max(raw, x[c]);
                mNew = Math.max(m[row], raw * scale);
                float mn = (float) mNew;
                for (int c = 0; c < cols; c++) x[c] = x[c] * scale - mn;
            } else {
                for (int c = 0; c < seen; c++) x[c] *= scale;                                           // S / √d
                for (int c = seen; c < cols; c++) x[c] = x[c] * scale + neg;                            // + causal mask
                if (pad != null) for (int c = 0; c < cols; c++) x[c] += pad[padAt + c];                // + padding mask
                float rowMax = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) rowMax = Math.max(rowMax, x[c]);
                mNew = Math.max(m[row], rowMax);
                float mn = (float) mNew;
                for (int c = 0; c < cols; c++) x[c] -= mn;
            }
            sp.put(base, x, 0, cols);
            correction[row] = Math.exp(m[row] - mNew);                                                    // e^(m − m')
            m[row] = mNew;
        }
    }

    /** In the tile buffer: S ← S/√d + masks − L, in float, the argument of P = exp(S − L); rows staged through {@code x}. */
    private void backwardShift(FloatBuffer sp, float[] pad, float scale, int bh, int h, int rows, int cols, int i0, int j0,
                               long offset, int s, int t, double[] lse, float[] x) {
        float neg = (float) Masks.NEG;
        for (int row = 0; row < bh * rows; row++) {
            int g = row / rows, r = row % rows, padAt = (g / h) * s + j0, base = row * cols;
            int seen = causal ? (int) Math.max(0, Math.min(cols, i0 + r + offset - j0 + 1)) : cols;
            float lOfRow = (float) lse[g * t + i0 + r];
            sp.get(base, x, 0, cols);
            if (pad == null && seen == cols) {
                for (int c = 0; c < cols; c++) x[c] = x[c] * scale - lOfRow;
            } else {
                for (int c = 0; c < seen; c++) x[c] *= scale;
                for (int c = seen; c < cols; c++) x[c] = x[c] * scale + neg;
                if (pad != null) for (int c = 0; c < cols; c++) x[c] += pad[padAt + c];
                for (int c = 0; c < cols; c++) x[c] -= lOfRow;
            }
            sp.put(base, x, 0, cols);
        }
    }

    /** In the dP buffer: dS = P ⊙ (dP − D); rows staged through {@code x} and {@code y}. */
    private static void backwardDs(FloatBuffer p, FloatBuffer dp, int bh, int rows, int cols, int i0, int t, double[] dRow,
                                   float[] x, float[] y) {
        for (int row = 0; row < bh * rows; row++) {
            int base = row * cols;
            float dOfRow = (float) dRow[(row / rows) * t + i0 + row % rows];
            p.get(base, x, 0, cols);
            dp.get(base, y, 0, cols);
            for (int c = 0; c < cols; c++) y[c] = x[c] * (y[c] - dOfRow);
            dp.put(base, y, 0, cols);
        }
    }

    /**
     * The float32 forward of one tile, in place: S (B·H, rows, cols) becomes P = exp(S − m'), and each row's m, ℓ and
     * O are brought up to date (O still without this tile's P V_j). Float arithmetic, as the twin's float32 ND4J calls.
     */
    private void forwardTile(float[] sp, float[] pad, float scale, int bh, int h, int rows, int cols, int i0, int j0,
                             long offset, int s, int dh, double[] m, double[] l, double[] acc) {
        float neg = (float) Masks.NEG;
        eachRow(bh * rows, cols, row -> {
            int g = row / rows, r = row % rows, base = row * cols, padAt = (g / h) * s + j0;
            int seen = causal ? (int) Math.max(0, Math.min(cols, i0 + r + offset - j0 + 1)) : cols;      // keys c < seen are visible
            if (pad == null && seen == cols) {
                float rowMax = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) {
                    float x = sp[base + c] * scale;                                                      // S / √d
                    sp[base + c] = x;
                    rowMax = x > rowMax ? x : rowMax;
                }
                update(sp, base, cols, row, rowMax, dh, m, l, acc);
                return;
            }
            for (int c = 0; c < seen; c++) sp[base + c] *= scale;
            for (int c = seen; c < cols; c++) sp[base + c] = sp[base + c] * scale + neg;                 // + causal mask
            if (pad != null) for (int c = 0; c < cols; c++) sp[base + c] += pad[padAt + c];             // + padding mask
            float rowMax = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) rowMax = Math.max(rowMax, sp[base + c]);
            update(sp, base, cols, row, rowMax, dh, m, l, acc);
        });
    }

    /** One row of the online softmax: m' = max(m, rowmax S), P = exp(S − m') in place, ℓ and O rescaled by e^(m − m'). */
    private static void update(float[] sp, int base, int cols, int row, float rowMax, int dh, double[] m, double[] l, double[] acc) {
        double mNew = Math.max(m[row], rowMax);
        float mn = (float) mNew, sum = 0;
        for (int c = 0; c < cols; c++) {
            float p = expf(sp[base + c] - mn);                                                            // P = exp(S − m')
            sp[base + c] = p;
            sum += p;
        }
        double correction = Math.exp(m[row] - mNew);                                                     // e^(m − m')
        l[row] = l[row] * correction + sum;                                                                // ℓ ← ℓ·e^(m − m') + rowsum P
        if (correction != 1) for (int d = 0; d < dh; d++) acc[row * dh + d] *= correction;
        m[row] = mNew;
    }

    /** The float32 backward of one tile, in place: S becomes P = exp(S − L), dP becomes dS = P ⊙ (dP − D). */
    private void backwardTile(float[] sp, float[] dp, float[] pad, float scale, int bh, int h, int rows, int cols, int i0, int j0,
                              long offset, int s, int t, double[] lse, double[] dRow) {
        float neg = (float) Masks.NEG;
        eachRow(bh * rows, cols, row -> {
            int g = row / rows, r = row % rows, padAt = (g / h) * s + j0, base = row * cols, at = g * t + i0 + r;
            int seen = causal ? (int) Math.max(0, Math.min(cols, i0 + r + offset - j0 + 1)) : cols;
            for (int c = 0; c < seen; c++) sp[base + c] *= scale;
            for (int c = seen; c < cols; c++) sp[base + c] = sp[base + c] * scale + neg;
            if (pad != null) for (int c = 0; c < cols; c++) sp[base + c] += pad[padAt + c];
            float lOfRow = (float) lse[at], dOfRow = (float) dRow[at];
            for (int c = 0; c < cols; c++) {
                float p = expf(sp[base + c] - lOfRow);                                                    // P = exp(S − L)
                sp[base + c] = p;
                dp[base + c] = p * (dp[base + c] - dOfRow);                                                // dS = P ⊙ (dP − D)
            }
        });
    }

    /**
     * System property: {@code true} spreads a tile's rows over the cores (a parallel stream; rows are independent).
     * Off by default: on the shared 2-core machine it lost to one thread whenever anything else ran (lib/PERFORMANCE.md).
     */
    static final String PARALLEL_PROPERTY = "etlab.attention.fusedTiles.parallel";
    private static final boolean PARALLEL = Boolean.getBoolean(PARALLEL_PROPERTY);

    /** Runs {@code body} for the rows 0..n−1 of a tile of n × cols scores. */
    private static void eachRow(int n, int cols, java.util.function.IntConsumer body) {
        if (PARALLEL && (long) n * cols >= 1 << 15) {
            java.util.stream.IntStream.range(0, n).parallel().forEach(body);
        } else {
            for (int row = 0; row < n; row++) body.accept(row);
        }
    }

    private static final float LOG2E = 1.44269504088896341f;

    /**
     * e^x in float32 without leaving float, for x ≤ 88: x = n·ln 2 + r, |r| ≤ ln 2 / 2, e^r by the degree-6
     * polynomial of Cephes' {@code expf} (S. Moshier's published coefficients), 2^n put into the exponent bits. Within
     * ~2 ulp of {@link Math#exp}; 0 below −87 (where e^x is no longer a normal float), which is where every masked
     * score lands. Scalar: JDK 17's compiler does not vectorize the float → int step, so this runs ~4.5 ns here.
     */
    static float expf(float x) {
        if (x < -87f) return 0f;
        float n = (float) Math.floor(x * LOG2E + 0.5f);
        float r = x - n * 0.693359375f + n * 2.12194440e-4f;                                                 // ln 2 in two parts
        float p = 1.9875691500e-4f;
        p = p * r + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        return (p * r * r + r + 1f) * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    private float[] floats(double[] x) {
        largestJavaArray = Math.max(largestJavaArray, x.length);
        float[] f = new float[x.length];
        for (int e = 0; e < x.length; e++) f[e] = (float) x[e];
        return f;
    }

    /** Keys [0, end) can be seen by queries [.., i1): all of them, or (causal) up to the last query's own position. */
    private long keyEnd(long i1, long t, long s) {
        return causal ? Math.min(s, i1 + (s - t)) : s;
    }

    /** total[g, from + r, d] += factor · tile[g, r, d] for a (B·H, n, Dh) tile of a (B·H, length, Dh) array. */
    private static void accumulate(INDArray tile, double[] scratch, double[] total, int bh, int n, int length, int from, int dh,
                                   double factor) {
        readInto(tile, scratch, bh * n * dh);
        for (int g = 0; g < bh; g++) {
            int into = (g * length + from) * dh, at = g * n * dh;
            for (int e = 0; e < n * dh; e++) total[into + e] += factor * scratch[at + e];
        }
    }

    /** Rows [from, to) of a (B, H, T, Dh) array, as a view. */
    private static INDArray rowsOf(INDArray x, long from, long to) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    private static INDArray contiguous(INDArray x) {
        return !x.isView() && x.ordering() == 'c' && x.offset() == 0 && x.data().length() == x.length() ? x : x.dup('c');
    }

    /** A fresh Java copy of {@code x} in row-major order. */
    private double[] doubles(INDArray x) {
        largestJavaArray = Math.max(largestJavaArray, x.length());
        return contiguous(x).data().asDouble();
    }

    private double[] javaArray(long n) {
        largestJavaArray = Math.max(largestJavaArray, n);
        return new double[Math.toIntExact(n)];
    }

    /** The first n elements of a row-major array with no offset (a tile buffer) into {@code into}. */
    private static void readInto(INDArray x, double[] into, int n) {
        if (x.dataType() == DataType.DOUBLE) {
            x.data().asNioDouble().get(0, into, 0, n);
        } else {
            FloatBuffer f = x.data().asNioFloat();
            for (int e = 0; e < n; e++) into[e] = f.get(e);
        }
    }

    private INDArray array(double[] data, DataType type, long... shape) {
        return nd.constant(Nd4j.create(data, shape, DataType.DOUBLE).castTo(type));
    }

    /** One tile's values in Java: float[] for float32 buffers (bulk copies), double[] otherwise. */
    private final class Work {
        final float[] f;
        final double[] d;
        final double[] x;                                                              // masked, scaled scores (float64 only)

        Work(boolean single, long n) {
            largestJavaArray = Math.max(largestJavaArray, n);
            f = single ? new float[(int) n] : null;
            d = single ? null : new double[(int) n];
            x = single ? null : new double[(int) n];
        }

        double get(int e) {
            return f != null ? f[e] : d[e];
        }

        void put(int e, double value) {
            if (f != null) f[e] = (float) value;
            else d[e] = value;
        }

        void read(INDArray buffer, int n) {
            if (f != null) buffer.data().asNioFloat().get(0, f, 0, n);
            else buffer.data().asNioDouble().get(0, d, 0, n);
        }

        void write(INDArray buffer, int n) {
            if (f != null) buffer.data().asNioFloat().put(0, f, 0, n);
            else buffer.data().asNioDouble().put(0, d, 0, n);
        }
    }
}
