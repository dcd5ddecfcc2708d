package dev.jemma.train;

import dev.jemma.model.GemmaConfig;
import dev.jemma.model.GemmaWeights;

import java.util.Arrays;

/**
 * Backward of one layer's self-attention for every sequence of a micro-batch: from the gradient of the attention
 * output (all heads, before the output projection) to the gradients of q, k and v as the projections produced
 * them, through softmax, RoPE and QK-norm. QK-norm, RoPE and the probabilities are recomputed from the recorded
 * q and k, as the forward pass computes them (NeoX RoPE, base and linear scale by layer type; a local layer's
 * query at p sees keys p − window &lt; k ≤ p). Work items are (sequence, KV head); each owns its rows of dq, dk and
 * dv, and QK-norm weight gradients go to per-worker partials summed after in worker order.
 */
final class AttentionBackward {
    private final GemmaConfig c;
    private final Gemm gemm;
    private final float[] invFreqLocal, invFreqGlobal;
    private final Scratch[] scratch;

    /** One worker's buffers, for sequences up to {@code maxRows} long. */
    private static final class Scratch {
        final float[] kr, dkr, dv, qr, dq, p, cos, sin;
        final float[] dqNorm, dkNorm;

        Scratch(GemmaConfig c, int maxRows) {
            int hd = c.headDim();
            kr = new float[maxRows * hd];
            dkr = new float[maxRows * hd];
            dv = new float[maxRows * hd];
            qr = new float[hd];
            dq = new float[hd];
            p = new float[maxRows];
            cos = new float[maxRows * hd / 2];
            sin = new float[maxRows * hd / 2];
            dqNorm = new float[hd];
            dkNorm = new float[hd];
        }
    }

    AttentionBackward(GemmaConfig c, Gemm gemm, int maxRows) {
        this.c = c;
        this.gemm = gemm;
        invFreqLocal = c.ropeInverseFrequencies(false);
        invFreqGlobal = c.ropeInverseFrequencies(true);
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
                item(layer, w, first[item / kvHeads], length[item / kvHeads], item % kvHeads, scratch[worker],
                        q, k, v, att, dAtt, dq, dk, dv);
            }
        });
        for (Scratch s : scratch) {
            if (dqNorm != null) for (int i = 0; i < s.dqNorm.length; i++) dqNorm[i] += s.dqNorm[i];
            if (dkNorm != null) for (int i = 0; i < s.dkNorm.length; i++) dkNorm[i] += s.dkNorm[i];
        }
    }

    private void item(int layer, GemmaWeights.Layer w, int row0, int n, int g, Scratch s,
                      float[] q, float[] k, float[] v, float[] att, float[] dAtt,
                      float[] dq, float[] dk, float[] dv) {
        int hd = c.headDim(), half = hd / 2, qd = c.qDim(), kvd = c.kvDim();
        int group = c.heads() / c.kvHeads();
        boolean global = c.isGlobal(layer);
        int window = c.slidingWindow();
        float scale = c.attentionScale(), eps = c.rmsEps();
        float[] invFreq = global ? invFreqGlobal : invFreqLocal;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < half; j++) {
                float angle = i * invFreq[j];
                s.cos[i * half + j] = (float) Math.cos(angle);
                s.sin[i * half + j] = (float) Math.sin(angle);
            }
            int kOff = (row0 + i) * kvd + g * hd;
            Norm.forward(k, kOff, w.kNorm(), s.kr, i * hd, hd, eps);
            rope(s.kr, i * hd, s.cos, s.sin, i * half, half);
        }
        Arrays.fill(s.dkr, 0, n * hd, 0f);
        Arrays.fill(s.dv, 0, n * hd, 0f);
        for (int hh = 0; hh < group; hh++) {
            int head = g * group + hh;
            for (int i = 0; i < n; i++) {
                int qOff = (row0 + i) * qd + head * hd;
                Norm.forward(q, qOff, w.qNorm(), s.qr, 0, hd, eps);
                rope(s.qr, 0, s.cos, s.sin, i * half, half);
                int lo = global ? 0 : Math.max(0, i - window + 1);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = lo; j <= i; j++) {
                    s.p[j] = scale * Gemm.dot(s.qr, 0, s.kr, j * hd, hd);
                    max = Math.max(max, s.p[j]);
                }
                double sum = 0;
                for (int j = lo; j <= i; j++) {
                    s.p[j] = (float) Math.exp(s.p[j] - max);
                    sum += s.p[j];
                }
                float inv = (float) (1 / sum);
                // Σ_j p_j (dAtt·v_j) = dAtt · att
                float d = Gemm.dot(dAtt, qOff, att, qOff, hd);
                Arrays.fill(s.dq, 0f);
                for (int j = lo; j <= i; j++) {
                    float p = s.p[j] * inv;
                    int vOff = (row0 + j) * kvd + g * hd;
                    float dp = Gemm.dot(dAtt, qOff, v, vOff, hd);
                    float ds = p * (dp - d) * scale;
                    Gemm.axpy(p, dAtt, qOff, s.dv, j * hd, hd);
                    Gemm.axpy(ds, s.kr, j * hd, s.dq, 0, hd);
                    Gemm.axpy(ds, s.qr, 0, s.dkr, j * hd, hd);
                }
                unrope(s.dq, 0, s.cos, s.sin, i * half, half);
                Norm.backward(q, qOff, w.qNorm(), s.dq, 0, dq, qOff, s.dqNorm, hd, eps, false);
            }
        }
        for (int j = 0; j < n; j++) {
            int kOff = (row0 + j) * kvd + g * hd;
            unrope(s.dkr, j * hd, s.cos, s.sin, j * half, half);
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
