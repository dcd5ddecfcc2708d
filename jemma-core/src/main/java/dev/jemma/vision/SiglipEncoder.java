package dev.jemma.vision;

import dev.jemma.tensor.Arithmetic;
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
    private final VisionWeights w;
    private final VisionConfig c;
    private final WorkerPool pool;
    private final MatMul mm;
    private final int n, d, ffn;
    private final float[] x, h, q, k, v, att, up;
    /** keys and values by head: [head][patch][headDim], so each query's dot products run over contiguous memory */
    private final float[] kh, vh;
    private final float[][] scores;
    private final WorkerPool.RangeTask attention = this::attend;

    public SiglipEncoder(VisionWeights weights, int threads) {
        w = weights;
        c = weights.config;
        n = c.patches();
        d = c.hidden();
        ffn = c.ffn();
        pool = new WorkerPool(threads);
        int cols = Math.max(Math.max(d, ffn), 3 * c.patchSize() * c.patchSize());
        mm = new MatMul(pool, cols);
        x = new float[n * d];
        h = new float[n * Math.max(d, 3 * c.patchSize() * c.patchSize())];
        q = new float[n * d];
        k = new float[n * d];
        v = new float[n * d];
        att = new float[n * d];
        up = new float[n * ffn];
        kh = new float[n * d];
        vh = new float[n * d];
        scores = new float[threads][n];
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
            splitHeads();
            pool.run(c.heads() * n, attention);
            linear(b.out(), att, d, b.outBias(), h);
            for (int i = 0; i < n * d; i++) x[i] += h[i];
            layerNorm(x, h, b.ln2Weight(), b.ln2Bias());
            linear(b.up(), h, d, b.upBias(), up);
            for (int i = 0; i < n * ffn; i++) up[i] = geluTanh(up[i]);
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

    private void splitHeads() {
        int hd = c.headDim();
        for (int t = 0; t < n; t++) {
            for (int hh = 0; hh < c.heads(); hh++) {
                System.arraycopy(k, t * d + hh * hd, kh, (hh * n + t) * hd, hd);
                System.arraycopy(v, t * d + hh * hd, vh, (hh * n + t) * hd, hd);
            }
        }
    }

    /** Items are (head, query) pairs: softmax(q·Kᵀ / √headDim) · V over every patch. */
    private void attend(int worker, int start, int end) {
        int hd = c.headDim();
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] sc = scores[worker];
        for (int item = start; item < end; item++) {
            int hh = item / n, t = item % n;
            int qo = t * d + hh * hd, base = hh * n * hd;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                float s = MatMul.dot(q, qo, kh, base + j * hd, hd) * scale;
                sc[j] = s;
                if (s > max) max = s;
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                float e = (float) Math.exp(sc[j] - max);
                sc[j] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            int ao = t * d + hh * hd;
            java.util.Arrays.fill(att, ao, ao + hd, 0f);
            for (int j = 0; j < n; j++) {
                float pj = sc[j] * inv;
                int vo = base + j * hd;
                for (int i = 0; i < hd; i++) att[ao + i] += pj * vh[vo + i];
            }
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

    @Override
    public void close() {
        pool.close();
    }
}
