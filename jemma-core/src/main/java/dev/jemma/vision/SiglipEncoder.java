package dev.jemma.vision;

import java.lang.foreign.MemorySegment;

import dev.jemma.tensor.Arithmetic;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import dev.jemma.tensor.GGMLType;
import dev.jemma.tensor.MatMul;
import dev.jemma.tensor.Rows;
import dev.jemma.tensor.WeightMatrix;
import dev.jemma.tensor.WorkerPool;

/**
 * Gemma 3's image encoder: the SigLIP tower and the multimodal projector, in f32 as transformers computes them.
 * pixels (3 × S × S, normalised) → patch embedding (a strided convolution, as a product) + learned positions → pre-LN
 * blocks (biased q/k/v/o, full attention with no mask, GELU-tanh MLP) → post LayerNorm → average pooling of the
 * patch grid → Gemma RMSNorm → projection to the text width. The result is the image's soft tokens, in raster
 * order of the pooled grid, entered into the text model unscaled.
 *
 * <p>One encoder holds its buffers (sized for one image) and its worker pool; {@link #encode} is not thread-safe.
 */
public final class SiglipEncoder implements AutoCloseable {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private final VisionWeights w;
    private final VisionConfig c;
    private final WorkerPool pool;
    private final MatMul mm;
    private final int n, d, ffn;
    private final float[] x, h, q, k, v, att, up;
    /** one head's keys [patch][headDim] and values transposed [headDim][patch]: the two products' "weights" */
    private final float[] kh, vt;
    private final WeightMatrix keys, values;
    /** one head's attention weights [query][key] */
    private final float[] scores;
    private final WorkerPool.RangeTask softmax = this::softmaxRows;
    private final WorkerPool.RangeTask gelu = this::geluRows;

    public SiglipEncoder(VisionWeights weights, int threads) {
        w = weights;
        c = weights.config;
        n = c.patches();
        d = c.hidden();
        ffn = c.ffn();
        pool = new WorkerPool(threads);
        int cols = Math.max(Math.max(Math.max(d, ffn), 3 * c.patchSize() * c.patchSize()), n);
        mm = new MatMul(pool, cols);
        x = new float[n * d];
        h = new float[n * Math.max(d, 3 * c.patchSize() * c.patchSize())];
        q = new float[n * d];
        k = new float[n * d];
        v = new float[n * d];
        att = new float[n * d];
        up = new float[n * ffn];
        kh = new float[n * c.headDim()];
        vt = new float[n * c.headDim()];
        keys = new WeightMatrix("k", GGMLType.F32, n, c.headDim(), MemorySegment.ofArray(kh));
        values = new WeightMatrix("v", GGMLType.F32, c.headDim(), n, MemorySegment.ofArray(vt));
        scores = new float[n * n];
    }

    public VisionConfig config() {
        return c;
    }

    /**
     * The image's soft tokens: {@code tokensPerImage × projectionDim} floats.
     *
     * @param pixels 3 × imageSize × imageSize, channel-major, already rescaled and normalised
     */
    public float[] encode(float[] pixels) {
        int s = c.imageSize(), p = c.patchSize(), side = c.patchesPerSide(), pp = 3 * p * p;
        if (pixels.length != 3 * s * s) {
            throw new IllegalArgumentException("pixel values: " + pixels.length + " floats, expected 3 × " + s + " × " + s);
        }
        // patches as rows of (channel, y, x), then the convolution as one product
        for (int py = 0; py < side; py++) {
            for (int px = 0; px < side; px++) {
                int row = (py * side + px) * pp;
                for (int ch = 0; ch < 3; ch++) {
                    for (int ky = 0; ky < p; ky++) {
                        System.arraycopy(pixels, (ch * s + py * p + ky) * s + px * p, h, row + (ch * p + ky) * p, p);
                    }
                }
            }
        }
        linear(w.patch, h, pp, w.patchBias, x);
        for (int i = 0; i < n * d; i++) x[i] += w.positions[i];

        for (VisionWeights.Block b : w.blocks) {
            layerNorm(x, h, b.ln1Weight(), b.ln1Bias());
            linear(b.q(), h, d, b.qBias(), q);
            linear(b.k(), h, d, b.kBias(), k);
            linear(b.v(), h, d, b.vBias(), v);
            for (int hh = 0; hh < c.heads(); hh++) attend(hh);
            linear(b.out(), att, d, b.outBias(), h);
            for (int i = 0; i < n * d; i++) x[i] += h[i];
            layerNorm(x, h, b.ln2Weight(), b.ln2Bias());
            linear(b.up(), h, d, b.upBias(), up);
            pool.run(n, gelu);
            linear(b.down(), up, ffn, b.downBias(), h);
            for (int i = 0; i < n * d; i++) x[i] += h[i];
        }
        layerNorm(x, x, w.postLnWeight, w.postLnBias);
        return project(pool(x));
    }

    /** The soft tokens of each view of an image (the whole image, then its Pan & Scan crops), in order. */
    public java.util.List<float[]> encodeViews(RgbImage image, ImagePreprocessor preprocessor) {
        java.util.List<float[]> out = new java.util.ArrayList<>();
        for (RgbImage view : preprocessor.views(image)) out.add(encode(preprocessor.pixels(view)));
        return out;
    }

    /** out[t] = W · in[t] + bias for every patch t. */
    private void linear(WeightMatrix m, float[] in, int inWidth, float[] bias, float[] out) {
        mm.apply(m, Rows.packed(in, inWidth), Rows.packed(out, m.rows), n, Arithmetic.FAST);
        int o = m.rows;
        for (int t = 0; t < n; t++) {
            int base = t * o;
            for (int i = 0; i < o; i++) out[base + i] += bias[i];
        }
    }

    private void layerNorm(float[] in, float[] out, float[] weight, float[] bias) {
        for (int t = 0; t < n; t++) {
            int o = t * d;
            double sum = 0;
            for (int i = 0; i < d; i++) sum += in[o + i];
            float mean = (float) (sum / d);
            double var = 0;
            for (int i = 0; i < d; i++) {
                float z = in[o + i] - mean;
                var += z * z;
            }
            float inv = (float) (1.0 / Math.sqrt(var / d + c.eps()));
            for (int i = 0; i < d; i++) out[o + i] = (in[o + i] - mean) * inv * weight[i] + bias[i];
        }
    }

    /**
     * One head, as two products on the pooled kernels: scores = Q·Kᵀ (the keys as a matrix of patches × headDim),
     * softmax of each row scaled by 1/√headDim, then out = P·V (the values transposed as headDim × patches).
     */
    private void attend(int hh) {
        int hd = c.headDim();
        for (int t = 0; t < n; t++) {
            System.arraycopy(k, t * d + hh * hd, kh, t * hd, hd);
            for (int i = 0; i < hd; i++) vt[i * n + t] = v[t * d + hh * hd + i];
        }
        mm.apply(keys, Rows.of(q, hh * hd, d), Rows.packed(scores, n), n, Arithmetic.FAST);
        pool.run(n, softmax);
        mm.apply(values, Rows.packed(scores, n), Rows.of(att, hh * hd, d), n, Arithmetic.FAST);
    }

    /** Each row: scaled, max subtracted, exponentiated (the Vector API's exp, SVML on x86), normalised. */
    private void softmaxRows(int worker, int start, int end) {
        float scale = (float) (1.0 / Math.sqrt(c.headDim()));
        int bound = F.loopBound(n);
        for (int t = start; t < end; t++) {
            int o = t * n;
            FloatVector mx = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            int j = 0;
            for (; j < bound; j += F.length()) {
                FloatVector x = FloatVector.fromArray(F, scores, o + j).mul(scale);
                x.intoArray(scores, o + j);
                mx = mx.max(x);
            }
            float max = mx.reduceLanes(VectorOperators.MAX);
            for (; j < n; j++) {
                scores[o + j] *= scale;
                max = Math.max(max, scores[o + j]);
            }
            FloatVector acc = FloatVector.zero(F);
            j = 0;
            for (; j < bound; j += F.length()) {
                FloatVector e = FloatVector.fromArray(F, scores, o + j).sub(max).lanewise(VectorOperators.EXP);
                e.intoArray(scores, o + j);
                acc = acc.add(e);
            }
            double sum = acc.reduceLanes(VectorOperators.ADD);
            for (; j < n; j++) {
                float e = (float) Math.exp(scores[o + j] - max);
                scores[o + j] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            j = 0;
            for (; j < bound; j += F.length()) FloatVector.fromArray(F, scores, o + j).mul(inv).intoArray(scores, o + j);
            for (; j < n; j++) scores[o + j] *= inv;
        }
    }

    /** Average of each pool × pool block of the patch grid, in raster order of the blocks. */
    private float[] pool(float[] in) {
        int side = c.patchesPerSide(), k = c.pool(), out = side / k;
        float[] pooled = new float[out * out * d];
        float count = k * k; // divided, not multiplied by the reciprocal, as torch's AvgPool2d does
        for (int oy = 0; oy < out; oy++) {
            for (int ox = 0; ox < out; ox++) {
                int po = (oy * out + ox) * d;
                for (int dy = 0; dy < k; dy++) {
                    for (int dx = 0; dx < k; dx++) {
                        int src = ((oy * k + dy) * side + ox * k + dx) * d;
                        for (int i = 0; i < d; i++) pooled[po + i] += in[src + i];
                    }
                }
                for (int i = 0; i < d; i++) pooled[po + i] /= count;
            }
        }
        return pooled;
    }

    /** Gemma RMSNorm (weight stored as 1 + w), then the projection to the text width. */
    private float[] project(float[] pooled) {
        int tokens = pooled.length / d, out = c.projectionDim();
        for (int t = 0; t < tokens; t++) {
            int o = t * d;
            double ss = 0;
            for (int i = 0; i < d; i++) ss += (double) pooled[o + i] * pooled[o + i];
            float inv = (float) (1.0 / Math.sqrt(ss / d + c.eps()));
            for (int i = 0; i < d; i++) pooled[o + i] = pooled[o + i] * inv * w.softEmbNorm[i];
        }
        float[] result = new float[tokens * out];
        for (int t = 0; t < tokens; t++) w.projection.dotRows(0, out, pooled, t * d, result, t * out);
        return result;
    }

    private static float geluTanh(float x) {
        return 0.5f * x * (1f + (float) Math.tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    }

    /** GELU-tanh of the MLP's rows [start, end), vectorised (the Vector API's tanh, SVML on x86). */
    private void geluRows(int worker, int start, int end) {
        int from = start * ffn, to = end * ffn, i = from;
        for (int bound = from + F.loopBound(to - from); i < bound; i += F.length()) {
            FloatVector x = FloatVector.fromArray(F, up, i);
            FloatVector inner = x.mul(x).mul(x).mul(0.044715f).add(x).mul(0.7978845608028654f);
            x.mul(0.5f).mul(inner.lanewise(VectorOperators.TANH).add(1f)).intoArray(up, i);
        }
        for (; i < to; i++) up[i] = geluTanh(up[i]);
    }

    @Override
    public void close() {
        pool.close();
    }
}
