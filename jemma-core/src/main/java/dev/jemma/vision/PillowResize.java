package dev.jemma.vision;

/**
 * Pillow's BILINEAR resize of 8-bit images, reproduced bit for bit (libImaging/Resample.c): for each output pixel the
 * triangle filter's weights over the source pixels it covers (support widened by the scale when shrinking),
 * normalised in double, then rounded to fixed point with 22 fraction bits; the horizontal pass runs first, its
 * result rounded and clipped to uint8, then the vertical pass. transformers' Gemma 3 image processor resizes with
 * it, and a ±1 difference in a few pixels already moves logits, so nothing else will do.
 */
public final class PillowResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PillowResize() {}

    /** Per output index: the first source index, the count, and that many fixed-point weights. */
    private record Coefficients(int[] start, int[] count, int[] weights, int kernelSize) {}

    public static RgbImage bilinear(RgbImage in, int width, int height) {
        if (width < 1 || height < 1) throw new IllegalArgumentException("resize to " + width + "×" + height);
        RgbImage out = in;
        if (width != in.width()) out = horizontal(out, width, coefficients(in.width(), width));
        if (height != in.height()) out = vertical(out, height, coefficients(in.height(), height));
        return out;
    }

    private static double filter(double x) {
        if (x < 0) x = -x;
        return x < 1 ? 1 - x : 0;
    }

    private static Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 1.0 * filterScale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] start = new int[outSize], count = new int[outSize];
        int[] weights = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ww = 0, ss = 1.0 / filterScale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            for (int x = 0; x < xmax; x++) {
                double w = filter((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) {
                double w = ww != 0 ? k[x] / ww : k[x];
                // round half away from zero, as Pillow's normalize_coeffs_8bpc
                weights[xx * ksize + x] = (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
            }
            start[xx] = xmin;
            count[xx] = xmax;
        }
        return new Coefficients(start, count, weights, ksize);
    }

    private static int clip8(int v) {
        int x = v >> PRECISION_BITS;
        return x < 0 ? 0 : Math.min(x, 255);
    }

    private static RgbImage horizontal(RgbImage in, int outW, Coefficients c) {
        int h = in.height(), inW = in.width();
        byte[] src = in.rgb(), dst = new byte[outW * h * 3];
        for (int y = 0; y < h; y++) {
            int row = y * inW * 3;
            for (int xx = 0; xx < outW; xx++) {
                int x0 = c.start[xx], n = c.count[xx], kb = xx * c.kernelSize;
                int r = 1 << (PRECISION_BITS - 1), g = r, b = r;
                for (int x = 0; x < n; x++) {
                    int w = c.weights[kb + x], p = row + (x0 + x) * 3;
                    r += (src[p] & 0xFF) * w;
                    g += (src[p + 1] & 0xFF) * w;
                    b += (src[p + 2] & 0xFF) * w;
                }
                int o = (y * outW + xx) * 3;
                dst[o] = (byte) clip8(r);
                dst[o + 1] = (byte) clip8(g);
                dst[o + 2] = (byte) clip8(b);
            }
        }
        return new RgbImage(outW, h, dst);
    }

    private static RgbImage vertical(RgbImage in, int outH, Coefficients c) {
        int w = in.width();
        byte[] src = in.rgb(), dst = new byte[w * outH * 3];
        for (int yy = 0; yy < outH; yy++) {
            int y0 = c.start[yy], n = c.count[yy], kb = yy * c.kernelSize;
            for (int x = 0; x < w; x++) {
                int r = 1 << (PRECISION_BITS - 1), g = r, b = r;
                for (int y = 0; y < n; y++) {
                    int wt = c.weights[kb + y], p = ((y0 + y) * w + x) * 3;
                    r += (src[p] & 0xFF) * wt;
                    g += (src[p + 1] & 0xFF) * wt;
                    b += (src[p + 2] & 0xFF) * wt;
                }
                int o = (yy * w + x) * 3;
                dst[o] = (byte) clip8(r);
                dst[o + 1] = (byte) clip8(g);
                dst[o + 2] = (byte) clip8(b);
            }
        }
        return new RgbImage(w, outH, dst);
    }
}
