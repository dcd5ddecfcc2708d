package dev.jemma.vision;

/**
 * 4:2:0 Y′CbCr planes to 8-bit RGB the way libwebp's default ("fancy") decoder output does it, so that a lossy
 * WebP decodes to the bytes Pillow gets: each chroma sample is interpolated to full resolution with weights
 * 9/16, 3/16, 3/16, 1/16 from the four nearest chroma samples (3/4 and 1/4 along the image's first and last rows and
 * columns), formed in two rounded steps as libwebp forms them, then converted with BT.601 studio-range coefficients
 * in 14-bit fixed point with libwebp's intermediate rounding (src/dsp/upsampling.c and yuv.h of libwebp).
 */
final class YuvToRgb {
    private YuvToRgb() {}

    static RgbImage convert(Vp8Decoder.Planes p) {
        int w = p.width(), h = p.height();
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), 3)];
        int lastChromaRow = (h - 1) >> 1;
        for (int y = 0; y < h; y++) {
            // row y sits between chroma rows (y - 1) / 2 and (y + 1) / 2, nearer the first when y is odd
            int near, far;
            if (y == 0) {
                near = far = 0;
            } else if ((y & 1) == 1) {
                near = (y - 1) >> 1;
                far = Math.min(near + 1, lastChromaRow);
            } else {
                near = y >> 1;
                far = near - 1;
            }
            row(p, y, near, far, out);
        }
        return new RgbImage(w, h, out);
    }

    /** One output row from its luma row and the chroma rows nearest to it ({@code near}) and next ({@code far}). */
    private static void row(Vp8Decoder.Planes p, int y, int near, int far, byte[] out) {
        int w = p.width(), cs = p.uvStride();
        byte[] yp = p.y(), up = p.u(), vp = p.v();
        int yo = y * p.stride(), o = y * w * 3;
        int nearOff = near * cs, farOff = far * cs;
        // the first pixel: 3/4 near, 1/4 far, no horizontal neighbour
        int u0 = (3 * (up[nearOff] & 0xFF) + (up[farOff] & 0xFF) + 2) >> 2;
        int v0 = (3 * (vp[nearOff] & 0xFF) + (vp[farOff] & 0xFF) + 2) >> 2;
        put(yp[yo] & 0xFF, u0, v0, out, o);
        int pairs = (w - 1) >> 1;
        for (int x = 1; x <= pairs; x++) {
            // chroma samples x - 1 and x of the near and far rows
            int nu0 = up[nearOff + x - 1] & 0xFF, nu1 = up[nearOff + x] & 0xFF;
            int fu0 = up[farOff + x - 1] & 0xFF, fu1 = up[farOff + x] & 0xFF;
            int nv0 = vp[nearOff + x - 1] & 0xFF, nv1 = vp[nearOff + x] & 0xFF;
            int fv0 = vp[farOff + x - 1] & 0xFF, fv1 = vp[farOff + x] & 0xFF;
            put(yp[yo + 2 * x - 1] & 0xFF, left(nu0, nu1, fu0, fu1), left(nv0, nv1, fv0, fv1), out, o + (2 * x - 1) * 3);
            put(yp[yo + 2 * x] & 0xFF, left(nu1, nu0, fu1, fu0), left(nv1, nv0, fv1, fv0), out, o + 2 * x * 3);
        }
        if ((w & 1) == 0) {
            int last = (w - 1) >> 1;
            int u = (3 * (up[nearOff + last] & 0xFF) + (up[farOff + last] & 0xFF) + 2) >> 2;
            int v = (3 * (vp[nearOff + last] & 0xFF) + (vp[farOff + last] & 0xFF) + 2) >> 2;
            put(yp[yo + w - 1] & 0xFF, u, v, out, o + (w - 1) * 3);
        }
    }

    /**
     * The chroma of a pixel whose nearest chroma sample is {@code a} (same row), then {@code b} (same row, other
     * column), {@code c} (other row, same column) and {@code d}: (9a + 3b + 3c + d + 8) / 16 in libwebp's two steps.
     */
    private static int left(int a, int b, int c, int d) {
        int avg = a + b + c + d + 8;
        int diag = (avg + 2 * (b + c)) >> 3;
        return (diag + a) >> 1;
    }

    private static void put(int y, int u, int v, byte[] out, int o) {
        out[o] = (byte) clip8(mulHi(y, 19077) + mulHi(v, 26149) - 14234);
        out[o + 1] = (byte) clip8(mulHi(y, 19077) - mulHi(u, 6419) - mulHi(v, 13320) + 8708);
        out[o + 2] = (byte) clip8(mulHi(y, 19077) + mulHi(u, 33050) - 17685);
    }

    private static int mulHi(int v, int coeff) {
        return (v * coeff) >> 8;
    }

    /** A value with 6 fractional bits to 0 … 255. */
    private static int clip8(int v) {
        return (v & ~16383) == 0 ? v >> 6 : v < 0 ? 0 : 255;
    }
}
