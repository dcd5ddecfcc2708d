package dev.jemma.quantize;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.jemma.quantize.HalfFloats.toF16;
import static dev.jemma.quantize.LaneSearch.LANES;
import static dev.jemma.quantize.QuantSearch.truncate;

/**
 * The 32-value block types Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, one row at a time into {@link Workspace#row}.
 * Without importance each is ggml's quantize_row_*_ref (scale from the extreme value, then truncating
 * conversions); with importance Q4/Q5 are quantize_row_*_impl (a weighted scale search per block whose weights
 * are importance·√(σ² + x²), σ² the row's mean square). Q8_0 has no importance variant.
 */
final class LegacyQuantizers {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private LegacyQuantizers() {}

    /**
     * Q8_0 needs no search and no scratch, so it writes straight into the destination: that keeps it
     * allocation-free for the KV cache, which stores one token's row at a time.
     */
    static void q8_0(float[] x, int xo, int n, MemorySegment dst, long off) {
        if (LegacyVectors.ENABLED) {
            LegacyVectors.q8_0(x, xo, n, dst, off);
            return;
        }
        for (int b = 0; b < n / 32; b++, off += 34, xo += 32) q8_0Block(x, xo, dst, off);
    }

    static void q8_0Block(float[] x, int xo, MemorySegment dst, long off) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            float a = Math.abs(x[xo + j]);
            amax = amax > a ? amax : a;
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        dst.set(I16, off, toF16(d));
        for (int j = 0; j < 32; j++) dst.set(ValueLayout.JAVA_BYTE, off + 2 + j, (byte) truncate(roundAway(x[xo + j] * id)));
    }

    /** C's roundf: halves away from zero (exact in double, where |v| + 0.5 cannot round up). */
    private static float roundAway(float v) {
        return (float) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    static void q4_0(float[] x, int xo, int n, float[] qw, Workspace ws) {
        if (qw != null) {
            symmetricSearch(x, xo, n, qw, ws, 8);
            return;
        }
        if (LegacyVectors.ENABLED) {
            LegacyVectors.symmetric(x, xo, n, 8, ws.row);
            return;
        }
        byte[] out = ws.row;
        for (int b = 0, o = 0; b < n / 32; b++, o += 18, xo += 32) {
            float max = signedMax(x, xo);
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            ws.putShort(o, toF16(d));
            for (int j = 0; j < 16; j++) {
                // ggml clamps the int8_t conversion with MIN(15, ·) and keeps the low byte
                int q0 = Math.min(15, (byte) truncate(x[xo + j] * id + 8.5f));
                int q1 = Math.min(15, (byte) truncate(x[xo + 16 + j] * id + 8.5f));
                out[o + 2 + j] = (byte) (q0 & 0xFF | q1 << 4);
            }
        }
    }

    static void q5_0(float[] x, int xo, int n, float[] qw, Workspace ws) {
        if (qw != null) {
            symmetricSearch(x, xo, n, qw, ws, 16);
            return;
        }
        if (LegacyVectors.ENABLED) {
            LegacyVectors.symmetric(x, xo, n, 16, ws.row);
            return;
        }
        for (int b = 0, o = 0; b < n / 32; b++, o += 22, xo += 32) {
            float max = signedMax(x, xo);
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            ws.putShort(o, toF16(d));
            for (int j = 0; j < 32; j++) {
                ws.levels[j] = (byte) Math.min(31, (byte) truncate(x[xo + j] * id + 16.5f));
            }
            packFiveBits(ws, 0, o + 2);
        }
    }

    static void q4_1(float[] x, int xo, int n, float[] qw, Workspace ws) {
        affine(x, xo, n, qw, ws, 15);
    }

    static void q5_1(float[] x, int xo, int n, float[] qw, Workspace ws) {
        affine(x, xo, n, qw, ws, 31);
    }

    private static void affine(float[] x, int xo, int n, float[] qw, Workspace ws, int nmax) {
        if (qw != null) {
            affineSearch(x, xo, n, qw, ws, nmax);
        } else if (LegacyVectors.ENABLED) {
            LegacyVectors.affine(x, xo, n, nmax, ws.row, ws);
        } else {
            int blockBytes = nmax == 15 ? 20 : 24;
            for (int b = 0; b < n / 32; b++) affineBlock(x, xo + 32 * b, nmax, ws, b * blockBytes);
        }
    }

    /** One Q4_1 (nmax 15) or Q5_1 (nmax 31) block without importance, into the row at o. */
    static void affineBlock(float[] x, int xo, int nmax, Workspace ws, int o) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / nmax;
        float id = d != 0 ? 1.0f / d : 0.0f;
        ws.putShort(o, toF16(d));
        ws.putShort(o + 2, toF16(min));
        if (nmax == 15) {
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (byte) truncate((x[xo + j] - min) * id + 0.5f));
                int q1 = Math.min(15, (byte) truncate((x[xo + 16 + j] - min) * id + 0.5f));
                ws.row[o + 4 + j] = (byte) (q0 & 0xFF | q1 << 4);
            }
        } else {
            // no clamp here in ggml: the uint8_t conversion keeps the low byte
            for (int j = 0; j < 32; j++) ws.levels[j] = (byte) truncate((x[xo + j] - min) * id + 0.5f);
            packFiveBits(ws, 0, o + 4);
        }
    }

    /** The value of largest magnitude (the first of equal ones), sign kept. */
    private static float signedMax(float[] x, int xo) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    /** Q4_0 (nmax 8) and Q5_0 (nmax 16) with importance: make_qx_quants per block. */
    private static void symmetricSearch(float[] x, int xo, int n, float[] qw, Workspace ws, int nmax) {
        float sigma2 = meanSquare(x, xo, n);
        int blockBytes = nmax == 8 ? 18 : 22;
        for (int g = 0; g < n / 32; g += LANES) {
            int count = Math.min(LANES, n / 32 - g);
            laneWeights(x, xo, qw, sigma2, g, count, ws);
            LaneSearch.symmetric(32, nmax, ws.xt, ws.wt, ws.lt, ws.st, count, ws.levels, 0, ws.scales, 0);
            for (int k = 0; k < count; k++) {
                int o = (g + k) * blockBytes;
                ws.putShort(o, toF16(ws.scales[k]));
                if (nmax == 8) packNibbles(ws, 32 * k, o + 2);
                else packFiveBits(ws, 32 * k, o + 2);
            }
        }
    }

    /** Q4_1 (nmax 15) and Q5_1 (nmax 31) with importance: make_qkx3_quants per block. */
    private static void affineSearch(float[] x, int xo, int n, float[] qw, Workspace ws, int nmax) {
        float sigma2 = meanSquare(x, xo, n);
        int blockBytes = nmax == 15 ? 20 : 24;
        for (int g = 0; g < n / 32; g += LANES) {
            int count = Math.min(LANES, n / 32 - g);
            laneWeights(x, xo, qw, sigma2, g, count, ws);
            LaneSearch.affine(32, nmax, ws.xt, ws.wt, ws.lt, ws.st, count, ws.levels, 0, ws.scales, ws.mins, 0,
                    -0.9f, 0.05f, 36, false, true);
            for (int k = 0; k < count; k++) {
                int o = (g + k) * blockBytes;
                ws.putShort(o, toF16(ws.scales[k]));
                ws.putShort(o + 2, toF16(-ws.mins[k]));
                if (nmax == 15) packNibbles(ws, 32 * k, o + 4);
                else packFiveBits(ws, 32 * k, o + 4);
            }
        }
    }

    private static float meanSquare(float[] x, int xo, int n) {
        float sum = 0;
        for (int j = 0; j < n; j++) sum += x[xo + j] * x[xo + j];
        return sum / n;
    }

    /** Blocks g.. g+count−1 transposed into the lanes, with weights importance·√(σ² + x²). */
    private static void laneWeights(float[] x, int xo, float[] qw, float sigma2, int g, int count, Workspace ws) {
        LaneSearch.gather(x, xo + 32 * g, 32, count, ws.xt);
        LaneSearch.gather(qw, 32 * g, 32, count, ws.qwt);
        LaneSearch.importanceWeights(32, sigma2, ws.xt, ws.qwt, ws.wt, count, null, 0);
    }

    /** Levels 0..15 of 32 values: element j in the low nibble of byte j, element j+16 in its high nibble. */
    private static void packNibbles(Workspace ws, int lo, int o) {
        byte[] L = ws.levels;
        for (int j = 0; j < 16; j++) ws.row[o + j] = (byte) (L[lo + j] | L[lo + j + 16] << 4);
    }

    /** Levels 0..31 of 32 values: bit 4 of element j in bit j of a 32-bit qh, then the low nibbles as Q4. */
    private static void packFiveBits(Workspace ws, int lo, int o) {
        byte[] L = ws.levels;
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = L[lo + j] & 0xFF, q1 = L[lo + j + 16] & 0xFF;
            ws.row[o + 4 + j] = (byte) (q0 & 0x0F | (q1 & 0x0F) << 4);
            qh |= ((q0 & 0x10) >> 4) << j;
            qh |= ((q1 & 0x10) >> 4) << (j + 16);
        }
        ws.putInt(o, qh);
    }
}
