package dev.jemma.train;

import dev.jemma.model.GemmaConfig;
import dev.jemma.model.GemmaWeights;
import dev.jemma.tensor.Gemm;

import java.util.Arrays;

/**
 * Backward of one layer's self-attention for every sequence of a micro-batch: from the gradient of the attention
 * output (all heads, before the output projection) to the gradients of q, k and v as the projections produced
 * them, through softmax, RoPE and QK-norm. QK-norm, RoPE and the probabilities are recomputed from the recorded
 * q and k, as the forward pass computes them (NeoX RoPE, base and linear scale by layer type; a local layer's
 * query at p sees keys p − window &lt; k ≤ p). Work items are (sequence, KV head); each owns its rows of dq, dk and
 * dv, and QK-norm weight gradients go to per-worker partials summed after in worker order.
 *
 * <p>Within an item, queries go in blocks of {@link #QB} rows against the keys they can see, and every step is a
 * matrix product on the worker's thread ({@link Gemm#multiplyAddSerial}): scores S = Q·Kᵀ, dP = dO·Vᵀ, then
 * dV += Pᵀ·dO, dQ = dS·K and dK += dSᵀ·Q. Per pair of positions that is five products of head-dim length, as
 * before, but in register tiles instead of one dot or axpy at a time.
 */
final class AttentionBackward {
    /** query rows per block: bounds the scratch to QB × sequence length scores whatever the length */
    private static final int QB = 64;

    private final GemmaConfig c;
    private final Gemm gemm;
    private final Scratch[] scratch;
    /** RoPE's cos and sin by position, [maxRows × headDim/2], for local and global layers */
    private final float[] cosLocal, sinLocal, cosGlobal, sinGlobal;

    /** One worker's buffers, for sequences up to {@code maxRows} long. */
    private static final class Scratch {
        final float[] kr, dkr, dv, qr, dq, s, dp;
        final float[] dqNorm, dkNorm;

        Scratch(GemmaConfig c, int maxRows) {
            int hd = c.headDim();
            kr = new float[maxRows * hd];
            dkr = new float[maxRows * hd];
            dv = new float[maxRows * hd];
            qr = new float[QB * hd];
            dq = new float[QB * hd];
            s = new float[QB * maxRows];
            dp = new float[QB * maxRows];
            dqNorm = new float[hd];
            dkNorm = new float[hd];
        }
    }

    AttentionBackward(GemmaConfig c, Gemm gemm, int maxRows) {
        this.c = c;
        this.gemm = gemm;
        float[] invFreqLocal = c.ropeInverseFrequencies(false), invFreqGlobal = c.ropeInverseFrequencies(true);
        int half = c.headDim() / 2;
        cosLocal = new float[maxRows * half];
        sinLocal = new float[maxRows * half];
        cosGlobal = new float[maxRows * half];
        sinGlobal = new float[maxRows * half];
        for (int i = 0; i < maxRows; i++) {
            for (int j = 0; j < half; j++) {
                float local = i * invFreqLocal[j], global = i * invFreqGlobal[j];
                cosLocal[i * half + j] = (float) Math.cos(local);
                sinLocal[i * half + j] = (float) Math.sin(local);
                cosGlobal[i * half + j] = (float) Math.cos(global);
                sinGlobal[i * half + j] = (float) Math.sin(global);
            }
        }
        scratch = new Scratch[gemm.threads()];
        for (int w = 0; w < scratch.length; w++) scratch[w] = new Scratch(c, maxRows);
    }

    /**
     * dq, dk, dv (overwritten) from dAtt for the sequences [first[s], first[s] + length[s]) of the rows, each
     * starting at position 0. q, k, v are the projections' outputs; att the attention output. Norm gradients,
     * when {@code dqNorm}/{@code dkNorm} are non-null, are added to them.
     */
    void backward(int layer, GemmaWeights.Layer w, int sequences, int[] first, int[] length,
                  float[] q, float[] k, float[] v, float[] att, float[] dAtt,
                  float[] dq, float[] dk, float[] dv, float[] dqNorm, float[] dkNorm) {
        for (Scratch s : scratch) {
            Arrays.fill(s.dqNorm, 0f);
            Arrays.fill(s.dkNorm, 0f);
        }
        int kvHeads = c.kvHeads();
        gemm.split(sequences * kvHeads, (worker, start, end) -> {
            for (int item = start; item < end; item++) {
                item(worker, layer, w, first[item / kvHeads], length[item / kvHeads], item % kvHeads,
                        scratch[worker], q, k, v, att, dAtt, dq, dk, dv);
            }
        });
        for (Scratch s : scratch) {
            if (dqNorm != null) for (int i = 0; i < s.dqNorm.length; i++) dqNorm[i] += s.dqNorm[i];
            if (dkNorm != null) for (int i = 0; i < s.dkNorm.length; i++) dkNorm[i] += s.dkNorm[i];
        }
    }

    private void item(int worker, int layer, GemmaWeights.Layer w, int row0, int n, int g, Scratch s,
                      float[] q, float[] k, float[] v, float[] att, float[] dAtt,
                      float[] dq, float[] dk, float[] dv) {
        int hd = c.headDim(), half = hd / 2, qd = c.qDim(), kvd = c.kvDim();
        int group = c.heads() / c.kvHeads();
        boolean global = c.isGlobal(layer);
        int window = c.slidingWindow();
        float scale = c.attentionScale(), eps = c.rmsEps();
        float[] cos = global ? cosGlobal : cosLocal, sin = global ? sinGlobal : sinLocal;
        for (int i = 0; i < n; i++) {
            int kOff = (row0 + i) * kvd + g * hd;
            Norm.forward(k, kOff, w.kNorm(), s.kr, i * hd, hd, eps);
            rope(s.kr, i * hd, cos, sin, i * half, half);
        }
        Arrays.fill(s.dkr, 0, n * hd, 0f);
        Arrays.fill(s.dv, 0, n * hd, 0f);
        for (int hh = 0; hh < group; hh++) {
            int head = g * group + hh;
            for (int i0 = 0; i0 < n; i0 += QB) {
                int rows = Math.min(QB, n - i0);
                // keys this block sees: [lo, hi)
                int lo = global ? 0 : Math.max(0, i0 - window + 1), hi = i0 + rows, keys = hi - lo;
                for (int r = 0; r < rows; r++) {
                    Norm.forward(q, (row0 + i0 + r) * qd + head * hd, w.qNorm(), s.qr, r * hd, hd, eps);
                    rope(s.qr, r * hd, cos, sin, (i0 + r) * half, half);
                }
                int dAttOff = (row0 + i0) * qd + head * hd;
                // S = Qr·Krᵀ and dP = dO·Vᵀ, [rows × keys]
                Arrays.fill(s.s, 0, rows * keys, 0f);
                Arrays.fill(s.dp, 0, rows * keys, 0f);
                gemm.multiplyAddSerial(worker, rows, hd, keys, s.qr, 0, hd, 1, s.kr, lo * hd, 1, hd, s.s, 0, keys);
                gemm.multiplyAddSerial(worker, rows, hd, keys, dAtt, dAttOff, qd, 1,
                        v, (row0 + lo) * kvd + g * hd, 1, kvd, s.dp, 0, keys);
                for (int r = 0; r < rows; r++) {
                    int i = i0 + r, from = global ? 0 : Math.max(0, i - window + 1) - lo, to = i - lo; // inclusive
                    int so = r * keys;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = from; j <= to; j++) {
                        s.s[so + j] *= scale;
                        max = Math.max(max, s.s[so + j]);
                    }
                    double sum = 0;
                    for (int j = from; j <= to; j++) {
                        s.s[so + j] = (float) Math.exp(s.s[so + j] - max);
                        sum += s.s[so + j];
                    }
                    float inv = (float) (1 / sum);
                    // Σ_j p_j (dO·v_j) = dO · o
                    int qOff = (row0 + i) * qd + head * hd;
                    float d = Gemm.dot(dAtt, qOff, att, qOff, hd);
                    for (int j = 0; j < from; j++) s.s[so + j] = s.dp[so + j] = 0f;
                    for (int j = from; j <= to; j++) {
                        float p = s.s[so + j] * inv;
                        s.s[so + j] = p;
                        s.dp[so + j] = p * (s.dp[so + j] - d) * scale; // dS
                    }
                    for (int j = to + 1; j < keys; j++) s.s[so + j] = s.dp[so + j] = 0f;
                }
                // dV += Pᵀ·dO, dQ = dS·Kr, dKr += dSᵀ·Qr
                gemm.multiplyAddSerial(worker, keys, rows, hd, s.s, 0, 1, keys, dAtt, dAttOff, qd, 1, s.dv, lo * hd, hd);
                Arrays.fill(s.dq, 0, rows * hd, 0f);
                gemm.multiplyAddSerial(worker, rows, keys, hd, s.dp, 0, keys, 1, s.kr, lo * hd, hd, 1, s.dq, 0, hd);
                gemm.multiplyAddSerial(worker, keys, rows, hd, s.dp, 0, 1, keys, s.qr, 0, hd, 1, s.dkr, lo * hd, hd);
                for (int r = 0; r < rows; r++) {
                    int qOff = (row0 + i0 + r) * qd + head * hd;
                    unrope(s.dq, r * hd, cos, sin, (i0 + r) * half, half);
                    Norm.backward(q, qOff, w.qNorm(), s.dq, r * hd, dq, qOff, s.dqNorm, hd, eps, false);
                }
            }
        }
        for (int j = 0; j < n; j++) {
            int kOff = (row0 + j) * kvd + g * hd;
            unrope(s.dkr, j * hd, cos, sin, j * half, half);
            Norm.backward(k, kOff, w.kNorm(), s.dkr, j * hd, dk, kOff, s.dkNorm, hd, eps, false);
            System.arraycopy(s.dv, j * hd, dv, kOff, hd);
        }
    }

    private static void rope(float[] x, int off, float[] cos, float[] sin, int tOff, int half) {
        for (int i = 0; i < half; i++) {
            float a = x[off + i], b = x[off + i + half], co = cos[tOff + i], si = sin[tOff + i];
            x[off + i] = a * co - b * si;
            x[off + i + half] = b * co + a * si;
        }
    }

    /** The transpose of {@link #rope}: rotation by the opposite angle. */
    private static void unrope(float[] x, int off, float[] cos, float[] sin, int tOff, int half) {
        for (int i = 0; i < half; i++) {
            float a = x[off + i], b = x[off + i + half], co = cos[tOff + i], si = sin[tOff + i];
            x[off + i] = a * co + b * si;
            x[off + i + half] = b * co - a * si;
        }
    }
}
