package dev.jemma.vision;

import dev.jemma.tensor.Gemm;
import dev.jemma.tensor.WeightMatrix;
import dev.jemma.tensor.WorkerPool;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gemma 3's image encoder: the SigLIP tower and the multimodal projector, in f32 as transformers computes them.
 * pixels (3 × S × S, normalised) → patch embedding (a strided convolution, as a product) + learned positions → pre-LN
 * blocks (biased q/k/v/o, full attention with no mask, GELU-tanh MLP) → post LayerNorm → average pooling of the
 * patch grid → Gemma RMSNorm → projection to the text width. The result is the image's soft tokens, in raster
 * order of the pooled grid, entered into the text model unscaled.
 *
 * <p>Every product is a packed, register-tiled {@link Gemm}: the linear layers read their weights (F16, BF16, Q8_0 or
 * F32) as rows dequantized once per product, and attention is two products per head, scores = Q·Kᵀ and out = P·V.
 *
 * <p>One encoder holds its buffers (sized for one image) and its worker pool; {@link #encode} is not thread-safe.
 */
public final class SiglipEncoder implements AutoCloseable {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /**
     * queries per attention block: their scores against all 4,096 patches (768 KiB) stay in L2 from the product
     * that makes them through the softmax to the product that uses them, instead of streaming 64 MiB a head
     */
    private static final int QB = 48;
    private final VisionWeights w;
    private final VisionConfig c;
    private final WorkerPool pool;
    private final Gemm gemm;
    private final int n, d, ffn;
    /** the head width rounded up to whole vectors, so that P·V has no scalar columns */
    private final int hdPad;
    private final float[] x, h, q, k, v, att, up;
    /** one head's keys transposed, [headDim][patch], and values, [patch][hdPad] zero beyond the head width */
    private final float[] kt, vh;
    /** per worker: a block of queries' scores [QB][patch] and outputs [QB][hdPad] */
    private final float[][] blockScores, blockOut;
    private final WorkerPool.RangeTask gelu = this::geluRows;

    public SiglipEncoder(VisionWeights weights, int threads) {
        w = weights;
        c = weights.config;
        n = c.patches();
        d = c.hidden();
        ffn = c.ffn();
        pool = new WorkerPool(threads);
        gemm = new Gemm(pool);
        x = new float[n * d];
        h = new float[n * Math.max(d, 3 * c.patchSize() * c.patchSize())];
        q = new float[n * d];
        k = new float[n * d];
        v = new float[n * d];
        att = new float[n * d];
        up = new float[n * ffn];
        hdPad = (c.headDim() + F.length() - 1) / F.length() * F.length();
        kt = new float[c.headDim() * n];
        vh = new float[n * hdPad];
        blockScores = new float[pool.size()][QB * n];
        blockOut = new float[pool.size()][QB * hdPad];
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

    /** out[t] = bias + W · in[t] for every patch t. */
    private void linear(WeightMatrix m, float[] in, int inWidth, float[] bias, float[] out) {
        int o = m.rows;
        for (int t = 0; t < n; t++) System.arraycopy(bias, 0, out, t * o, o);
        gemm.multiplyAddTransposed(n, in, 0, inWidth, m, out, 0, o);
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
     * One head, as two products per block of QB queries (the blocks split across the pool): scores = Q·Kᵀ, each
     * row's softmax scaled by 1/√headDim, then out = P·V. K is transposed once a head (so every block packs it with
     * whole vectors) and V copied into a zero-padded, whole-vector-wide block (so P·V has no scalar columns).
     */
    private void attend(int hh) {
        int hd = c.headDim();
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int t = 0; t < n; t++) {
            System.arraycopy(v, t * d + hh * hd, vh, t * hdPad, hd);
            for (int i = 0; i < hd; i++) kt[i * n + t] = k[t * d + hh * hd + i];
        }
        pool.run((n + QB - 1) / QB, (worker, start, end) -> {
            float[] sc = blockScores[worker], o = blockOut[worker];
            for (int b = start; b < end; b++) {
                int i0 = b * QB, rows = Math.min(QB, n - i0);
                Arrays.fill(sc, 0, rows * n, 0f);
                gemm.multiplyAddSerial(worker, rows, hd, n, q, i0 * d + hh * hd, d, 1, kt, 0, n, 1, sc, 0, n);
                for (int r = 0; r < rows; r++) softmax(sc, r * n, n, scale);
                Arrays.fill(o, 0, rows * hdPad, 0f);
                gemm.multiplyAddSerial(worker, rows, n, hdPad, sc, 0, n, 1, vh, 0, hdPad, 1, o, 0, hdPad);
                for (int r = 0; r < rows; r++) System.arraycopy(o, r * hdPad, att, (i0 + r) * d + hh * hd, hd);
            }
        });
    }

    /** One row: scaled, max subtracted, exponentiated (the Vector API's exp, SVML on x86), normalised. */
    private static void softmax(float[] s, int o, int len, float scale) {
        int bound = F.loopBound(len);
        FloatVector mx = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector x = FloatVector.fromArray(F, s, o + j).mul(scale);
            x.intoArray(s, o + j);
            mx = mx.max(x);
        }
        float max = mx.reduceLanes(VectorOperators.MAX);
        for (; j < len; j++) {
            s[o + j] *= scale;
            max = Math.max(max, s[o + j]);
        }
        FloatVector acc = FloatVector.zero(F);
        j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector e = FloatVector.fromArray(F, s, o + j).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(s, o + j);
            acc = acc.add(e);
        }
        double sum = acc.reduceLanes(VectorOperators.ADD);
        for (; j < len; j++) {
            float e = (float) Math.exp(s[o + j] - max);
            s[o + j] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        j = 0;
        for (; j < bound; j += F.length()) FloatVector.fromArray(F, s, o + j).mul(inv).intoArray(s, o + j);
        for (; j < len; j++) s[o + j] *= inv;
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
