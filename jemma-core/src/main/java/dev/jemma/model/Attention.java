package dev.jemma.model;

import dev.jemma.tensor.MatMul;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import dev.jemma.tensor.WorkerPool;

/**
 * Self-attention of one layer for a chunk of tokens: QK-norm, NeoX RoPE (base and linear scale by
 * layer type), the KV cache write, then causal (and on local layers sliding-window) softmax
 * attention with grouped KV heads. A query at position p sees key positions k with k ≤ p, and on
 * local layers also p − k < window. One instance per model; bound to a state before each run.
 */
final class Attention implements WorkerPool.RangeTask {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private final GemmaConfig c;
    private final float[] invFreqLocal;
    private final float[] invFreqGlobal;

    private InferenceState s;
    private int layer;

    Attention(GemmaConfig c) {
        this.c = c;
        int half = c.headDim() / 2;
        invFreqLocal = new float[half];
        invFreqGlobal = new float[half];
        for (int i = 0; i < half; i++) {
            // as the references compute it: base^(-2i/d) in f32, divided by the linear factor (global layers)
            float e = (float) (2 * i) / c.headDim();
            invFreqLocal[i] = (float) (1.0 / Math.pow(c.ropeBaseLocal(), e));
            invFreqGlobal[i] = (float) (1.0 / Math.pow(c.ropeBaseGlobal(), e)) / c.ropeScaleGlobal();
        }
    }

    /** QK-norm and RoPE of the chunk's q and k, then k and v into the cache. */
    void prepare(InferenceState s, GemmaWeights.Layer w, int layer, int n) {
        int hd = c.headDim(), half = hd / 2;
        float[] invFreq = c.isGlobal(layer) ? invFreqGlobal : invFreqLocal;
        for (int t = 0; t < n; t++) {
            int pos = s.position + t;
            for (int i = 0; i < half; i++) {
                float angle = pos * invFreq[i];
                s.ropeCos[t * half + i] = (float) Math.cos(angle);
                s.ropeSin[t * half + i] = (float) Math.sin(angle);
            }
            for (int h = 0; h < c.heads(); h++) {
                int off = t * c.qDim() + h * hd;
                Ops.rmsNorm(s.q, off, s.q, off, w.qNorm(), hd, c.rmsEps());
                rope(s.q, off, s.ropeCos, s.ropeSin, t * half, half);
            }
            for (int h = 0; h < c.kvHeads(); h++) {
                int off = t * c.kvDim() + h * hd;
                Ops.rmsNorm(s.k, off, s.k, off, w.kNorm(), hd, c.rmsEps());
                rope(s.k, off, s.ropeCos, s.ropeSin, t * half, half);
            }
            int slot = s.cache.offset(layer, pos);
            System.arraycopy(s.k, t * c.kvDim(), s.cache.keys[layer], slot, c.kvDim());
            System.arraycopy(s.v, t * c.kvDim(), s.cache.values[layer], slot, c.kvDim());
        }
    }

    private static void rope(float[] x, int off, float[] cos, float[] sin, int tOff, int half) {
        for (int i = 0; i < half; i++) {
            float a = x[off + i], b = x[off + i + half];
            float co = cos[tOff + i], si = sin[tOff + i];
            x[off + i] = a * co - b * si;
            x[off + i + half] = b * co + a * si;
        }
    }

    Attention bind(InferenceState s, int layer, int n) {
        this.s = s;
        this.layer = layer;
        return this;
    }

    /** Items are (token, head) pairs of the chunk; positions are relative to s.position − n. */
    @Override
    public void run(int worker, int start, int end) {
        InferenceState s = this.s;
        int hd = c.headDim();
        int group = c.heads() / c.kvHeads();
        float[] keys = s.cache.keys[layer], values = s.cache.values[layer];
        float[] scores = s.scores[worker];
        boolean global = c.isGlobal(layer);
        int chunkStart = s.position; // forwardChunk advances position after all layers
        for (int item = start; item < end; item++) {
            int t = item / c.heads(), h = item % c.heads();
            int pos = chunkStart + t;
            int first = global ? 0 : Math.max(0, pos - c.slidingWindow() + 1);
            int qOff = t * c.qDim() + h * hd;
            int kvHead = (h / group) * hd;
            float max = Float.NEGATIVE_INFINITY;
            for (int p = first; p <= pos; p++) {
                int ko = s.cache.offset(layer, p) + kvHead;
                float sc = MatMul.dot(s.q, qOff, keys, ko, hd) * c.attentionScale();
                scores[p - first] = sc;
                if (sc > max) max = sc;
            }
            double sum = 0;
            for (int p = first; p <= pos; p++) {
                float e = (float) Math.exp(scores[p - first] - max);
                scores[p - first] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            int aOff = t * c.qDim() + h * hd;
            java.util.Arrays.fill(s.att, aOff, aOff + hd, 0f);
            for (int p = first; p <= pos; p++) {
                float wgt = scores[p - first] * inv;
                int vo = s.cache.offset(layer, p) + kvHead;
                int i = 0;
                for (int bound = F.loopBound(hd); i < bound; i += F.length()) {
                    FloatVector.fromArray(F, values, vo + i).fma(FloatVector.broadcast(F, wgt), FloatVector.fromArray(F, s.att, aOff + i))
                            .intoArray(s.att, aOff + i);
                }
                for (; i < hd; i++) s.att[aOff + i] += wgt * values[vo + i];
            }
        }
    }
}
