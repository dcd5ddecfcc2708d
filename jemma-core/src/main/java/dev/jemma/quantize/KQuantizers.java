package dev.jemma.quantize;

import static dev.jemma.quantize.HalfFloats.fromF16;
import static dev.jemma.quantize.HalfFloats.toF16;
import static dev.jemma.quantize.QuantSearch.makeQpQuants;
import static dev.jemma.quantize.QuantSearch.makeQxQuants;
import static dev.jemma.quantize.QuantSearch.nearestInt;
import static dev.jemma.quantize.LaneSearch.LANES;

/**
 * The 256-value super-block types Q2_K..Q6_K, one row at a time into {@link Workspace#row}. Each super-block:
 * search a scale (and min) per sub-block, quantize those to 4..8 bits under an f16 super-scale, then requantize
 * the values against the scales as stored, so the levels fit what a reader will reconstruct.
 * Without importance these are ggml's quantize_row_*_K_ref; with it, quantize_row_*_K_impl, whose weights are
 * importance·√(σ² + x²) with σ² the super-block's mean square (doubled for Q3..Q5), and whose sub-block scales
 * are fitted with make_qp_quants weighted by each sub-block's total weight.
 */
final class KQuantizers {
    private KQuantizers() {}

    // ---- Q2_K: scales[16] (4-bit scale | 4-bit min << 4), qs[64], f16 d, f16 dmin

    static void q2_K(float[] x, int xo, int n, float[] qw, Workspace ws) {
        byte[] out = ws.row;
        byte[] L = ws.levels;
        float[] scales = ws.scales, mins = ws.mins;
        for (int b = 0, o = 0; b < n / 256; b++, o += 84, xo += 256) {
            float dm, mm;
            if (qw == null) {
                for (int g = 0; g < 16; g += LANES) {
                    int count = Math.min(LANES, 16 - g);
                    LaneSearch.gather(x, xo + 16 * g, 16, count, ws.xt);
                    LaneSearch.abs(16, ws.xt, ws.wt);
                    LaneSearch.affine(16, 3, ws.xt, ws.wt, ws.lt, ws.st, count, L, 16 * g, scales, mins, g,
                            -0.5f, 0.1f, 15, true, false);
                }
                float maxScale = 0, maxMin = 0;
                for (int j = 0; j < 16; j++) {
                    if (scales[j] > maxScale) maxScale = scales[j];
                    if (mins[j] > maxMin) maxMin = mins[j];
                }
                if (maxScale > 0) {
                    float iscale = 15.f / maxScale;
                    for (int j = 0; j < 16; j++) out[o + j] = (byte) nearestInt(iscale * scales[j]);
                    ws.putShort(o + 80, toF16(maxScale / 15.f));
                } else {
                    for (int j = 0; j < 16; j++) out[o + j] = 0;
                    ws.putShort(o + 80, toF16(0f));
                }
                if (maxMin > 0) {
                    float iscale = 15.f / maxMin;
                    for (int j = 0; j < 16; j++) out[o + j] |= (byte) (nearestInt(iscale * mins[j]) << 4);
                    ws.putShort(o + 82, toF16(maxMin / 15.f));
                } else {
                    ws.putShort(o + 82, toF16(0f));
                }
            } else {
                float sigma2 = sumSquares(x, xo) / 256;
                for (int g = 0; g < 16; g += LANES) {
                    int count = Math.min(LANES, 16 - g);
                    LaneSearch.gather(x, xo + 16 * g, 16, count, ws.xt);
                    LaneSearch.gather(qw, 256 * b + 16 * g, 16, count, ws.qwt);
                    LaneSearch.importanceWeights(16, sigma2, ws.xt, ws.qwt, ws.wt, count, ws.subWeights, g);
                    LaneSearch.affine(16, 3, ws.xt, ws.wt, ws.lt, ws.st, count, L, 16 * g, scales, mins, g,
                            -0.9f, 0.05f, 36, false, true);
                }
                float d = makeQpQuants(16, 15, scales, 0, ws.scaleLevels, 0, ws.subWeights, 0);
                float m = makeQpQuants(16, 15, mins, 0, ws.minLevels, 0, ws.subWeights, 0);
                ws.putShort(o + 80, toF16(d));
                ws.putShort(o + 82, toF16(m));
                for (int j = 0; j < 16; j++) out[o + j] = (byte) (ws.scaleLevels[j] | ws.minLevels[j] << 4);
            }
            dm = f16At(out, o + 80);
            mm = f16At(out, o + 82);
            for (int j = 0; j < 16; j++) {
                int sc = out[o + j] & 0xFF;
                float d = dm * (sc & 0xF);
                if (d == 0) continue;
                float m = mm * (sc >> 4);
                LaneSearch.requantize(x, xo + 16 * j, 16, m, d, 0, 3, 0, L, 16 * j);
            }
            for (int j = 0; j < 256; j += 128) {
                for (int l = 0; l < 32; l++) {
                    out[o + 16 + j / 4 + l] = (byte) (L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 | L[j + l + 96] << 6);
                }
            }
        }
    }

    // ---- Q3_K: hmask[32], qs[64], scales[12] (sixteen 6-bit signed scales), f16 d

    static void q3_K(float[] x, int xo, int n, float[] qw, Workspace ws) {
        byte[] out = ws.row;
        byte[] L = ws.levels;
        float[] scales = ws.scales;
        for (int b = 0, o = 0; b < n / 256; b++, o += 110, xo += 256) {
            for (int j = 0; j < 12; j++) out[o + 96 + j] = 0;
            if (qw == null) {
                for (int g = 0; g < 16; g += LANES) {
                    int count = Math.min(LANES, 16 - g);
                    LaneSearch.gather(x, xo + 16 * g, 16, count, ws.xt);
                    LaneSearch.stepwise(16, 4, ws.xt, ws.lt, ws.st, count, L, 16 * g, scales, g);
                }
                float maxScale = 0, amax = 0;
                for (int j = 0; j < 16; j++) {
                    float a = Math.abs(scales[j]);
                    if (a > amax) {
                        amax = a;
                        maxScale = scales[j];
                    }
                }
                if (maxScale != 0) {
                    float iscale = -32.f / maxScale;
                    for (int j = 0; j < 16; j++) {
                        // ggml narrows to int8_t before clamping
                        int l = Math.max(-32, Math.min(31, (byte) nearestInt(iscale * scales[j]))) + 32;
                        putQ3Scale(out, o + 96, j, l);
                    }
                    ws.putShort(o + 108, toF16(1 / iscale));
                } else {
                    ws.putShort(o + 108, toF16(0f));
                }
            } else {
                float sigma2 = 2 * sumSquares(x, xo) / 256;
                for (int g = 0; g < 16; g += LANES) {
                    int count = Math.min(LANES, 16 - g);
                    LaneSearch.gather(x, xo + 16 * g, 16, count, ws.xt);
                    LaneSearch.gather(qw, 256 * b + 16 * g, 16, count, ws.qwt);
                    LaneSearch.importanceWeights(16, sigma2, ws.xt, ws.qwt, ws.wt, count, ws.subWeights, g);
                    LaneSearch.symmetric(16, 4, ws.xt, ws.wt, ws.lt, ws.st, count, L, 16 * g, scales, g);
                }
                float d = makeQxQuants(16, 32, scales, 0, ws.scaleLevels, 0, ws.subWeights, 0);
                for (int j = 0; j < 16; j++) putQ3Scale(out, o + 96, j, ws.scaleLevels[j]);
                ws.putShort(o + 108, toF16(d));
            }
            float dAll = f16At(out, o + 108);
            for (int j = 0; j < 16; j++) {
                int lo = j < 8 ? out[o + 96 + j] & 0xF : (out[o + 96 + j - 8] & 0xFF) >> 4;
                int sc = (lo | ((out[o + 96 + 8 + j % 4] & 0xFF) >> (2 * (j / 4)) & 3) << 4) - 32;
                float d = dAll * sc;
                if (d == 0) continue;
                LaneSearch.requantize(x, xo + 16 * j, 16, 0f, d, -4, 3, 4, L, 16 * j);
            }
            // levels are 0..7: bit 2 goes to hmask (bit j/32 of byte j%32), the low two bits stay
            for (int l = 0; l < 32; l++) {
                int h = 0;
                for (int k = 0; k < 8; k++) {
                    h |= (L[32 * k + l] >> 2) << k;
                    L[32 * k + l] &= 3;
                }
                out[o + l] = (byte) h;
            }
            for (int j = 0; j < 256; j += 128) {
                for (int l = 0; l < 32; l++) {
                    out[o + 32 + j / 4 + l] = (byte) (L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 | L[j + l + 96] << 6);
                }
            }
        }
    }

    /** Scale j's 6 bits: low nibble into byte j (j < 8) or the high nibble of byte j−8, top 2 bits into 8 + j%4. */
    private static void putQ3Scale(byte[] out, int s, int j, int l) {
        if (j < 8) out[s + j] = (byte) (l & 0xF);
        else out[s + j - 8] |= (byte) ((l & 0xF) << 4);
        out[s + 8 + j % 4] |= (byte) ((l >> 4) << (2 * (j / 4)));
    }

    // ---- Q4_K and Q5_K: f16 d, f16 dmin, scales[12] (eight 6-bit scales and mins), then the quants

    static void q4_K(float[] x, int xo, int n, float[] qw, Workspace ws) {
        for (int b = 0, o = 0; b < n / 256; b++, o += 144, xo += 256) {
            scalesAndMins(x, xo, qw, 256 * b, ws, o, 15);
            byte[] L = ws.levels;
            for (int j = 0; j < 256; j += 64) {
                for (int l = 0; l < 32; l++) ws.row[o + 16 + j / 2 + l] = (byte) (L[j + l] | L[j + l + 32] << 4);
            }
        }
    }

    static void q5_K(float[] x, int xo, int n, float[] qw, Workspace ws) {
        byte[] out = ws.row;
        for (int b = 0, o = 0; b < n / 256; b++, o += 176, xo += 256) {
            scalesAndMins(x, xo, qw, 256 * b, ws, o, 31);
            byte[] L = ws.levels;
            for (int j = 0; j < 32; j++) out[o + 16 + j] = 0;
            int m1 = 1, m2 = 2;
            for (int n64 = 0; n64 < 256; n64 += 64) {
                for (int j = 0; j < 32; j++) {
                    int l1 = L[n64 + j], l2 = L[n64 + j + 32];
                    if (l1 > 15) {
                        l1 -= 16;
                        out[o + 16 + j] |= (byte) m1;
                    }
                    if (l2 > 15) {
                        l2 -= 16;
                        out[o + 16 + j] |= (byte) m2;
                    }
                    out[o + 48 + n64 / 2 + j] = (byte) (l1 | l2 << 4);
                }
                m1 <<= 2;
                m2 <<= 2;
            }
        }
    }

    /**
     * Q4_K/Q5_K (nmax 15/31) up to the levels: eight 32-value sub-blocks get a scale and min, stored as 6 bits
     * each under f16 d and dmin at {@code o}; then {@link Workspace#levels} holds the requantized levels.
     */
    private static void scalesAndMins(float[] x, int xo, float[] qw, int qo, Workspace ws, int o, int nmax) {
        byte[] out = ws.row;
        byte[] L = ws.levels;
        float[] scales = ws.scales, mins = ws.mins;
        for (int j = 0; j < 12; j++) out[o + 4 + j] = 0;
        if (qw == null) {
            for (int g = 0; g < 8; g += LANES) {
                int count = Math.min(LANES, 8 - g);
                LaneSearch.gather(x, xo + 32 * g, 32, count, ws.xt);
                LaneSearch.rmsPlusAbs(32, ws.xt, ws.wt);
                if (nmax == 15) {
                    LaneSearch.affine(32, 15, ws.xt, ws.wt, ws.lt, ws.st, count, L, 32 * g, scales, mins, g, -1.f, 0.1f, 20, false, false);
                } else {
                    LaneSearch.affine(32, 31, ws.xt, ws.wt, ws.lt, ws.st, count, L, 32 * g, scales, mins, g, -0.5f, 0.1f, 15, false, false);
                }
            }
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; j++) {
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
            float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
            for (int j = 0; j < 8; j++) {
                // ggml narrows to uint8_t before clamping to 63
                int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
                int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
                putScaleMin(out, o + 4, j, ls, lm);
            }
            ws.putShort(o, toF16(maxScale / 63.f));
            ws.putShort(o + 2, toF16(maxMin / 63.f));
        } else {
            float sigma2 = 2 * sumSquares(x, xo) / 256;
            for (int g = 0; g < 8; g += LANES) {
                int count = Math.min(LANES, 8 - g);
                LaneSearch.gather(x, xo + 32 * g, 32, count, ws.xt);
                LaneSearch.gather(qw, qo + 32 * g, 32, count, ws.qwt);
                LaneSearch.importanceWeights(32, sigma2, ws.xt, ws.qwt, ws.wt, count, ws.subWeights, g);
                LaneSearch.affine(32, nmax, ws.xt, ws.wt, ws.lt, ws.st, count, L, 32 * g, scales, mins, g, -0.9f, 0.05f, 36, false, true);
            }
            float d = makeQpQuants(8, 63, scales, 0, ws.scaleLevels, 0, ws.subWeights, 0);
            float m = makeQpQuants(8, 63, mins, 0, ws.minLevels, 0, ws.subWeights, 0);
            for (int j = 0; j < 8; j++) {
                int ls = ws.scaleLevels[j] & 0xFF, lm = ws.minLevels[j] & 0xFF;
                // Q5_K clamps the levels to 63 here, Q4_K does not (make_qp_quants already keeps them ≤ 63)
                if (nmax == 31) {
                    ls = Math.min(63, ls);
                    lm = Math.min(63, lm);
                }
                putScaleMin(out, o + 4, j, ls, lm);
            }
            ws.putShort(o, toF16(d));
            ws.putShort(o + 2, toF16(m));
        }
        float dAll = f16At(out, o), mAll = f16At(out, o + 2);
        for (int j = 0; j < 8; j++) {
            int sc, mn;
            int s = o + 4;
            if (j < 4) {
                sc = out[s + j] & 63;
                mn = out[s + j + 4] & 63;
            } else {
                sc = (out[s + j + 4] & 0xF) | ((out[s + j - 4] & 0xFF) >> 6) << 4;
                mn = ((out[s + j + 4] & 0xFF) >> 4) | ((out[s + j] & 0xFF) >> 6) << 4;
            }
            float d = dAll * sc;
            if (d == 0) continue;
            float dm = mAll * mn;
            LaneSearch.requantize(x, xo + 32 * j, 32, dm, d, 0, nmax, 0, L, 32 * j);
        }
    }

    /** Sub-block j's 6-bit scale and min: j < 4 in bytes j and j+4; else nibbles in byte j+4, top bits above j−4 and j. */
    private static void putScaleMin(byte[] out, int s, int j, int ls, int lm) {
        if (j < 4) {
            out[s + j] = (byte) ls;
            out[s + j + 4] = (byte) lm;
        } else {
            out[s + j + 4] = (byte) ((ls & 0xF) | (lm & 0xF) << 4);
            out[s + j - 4] |= (byte) ((ls >> 4) << 6);
            out[s + j] |= (byte) ((lm >> 4) << 6);
        }
    }

    // ---- Q6_K: ql[128], qh[64], scales[16] (int8), f16 d

    static void q6_K(float[] x, int xo, int n, float[] qw, Workspace ws) {
        byte[] out = ws.row;
        byte[] L = ws.levels;
        float[] scales = ws.scales;
        for (int b = 0, o = 0; b < n / 256; b++, o += 210, xo += 256) {
            for (int g = 0; g < 16; g += LANES) {
                int count = Math.min(LANES, 16 - g);
                LaneSearch.gather(x, xo + 16 * g, 16, count, ws.xt);
                // with importance ggml weights by the importance alone here, not by the √(σ² + x²) form
                if (qw != null) LaneSearch.gather(qw, 256 * b + 16 * g, 16, count, ws.qwt);
                LaneSearch.symmetric(16, 32, ws.xt, qw != null ? ws.qwt : null, ws.lt, ws.st, count, L, 16 * g, scales, g);
            }
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < 16; ib++) {
                float scale = scales[ib];
                float a = Math.abs(scale);
                if (a > maxAbsScale) {
                    maxAbsScale = a;
                    maxScale = scale;
                }
            }
            if (maxAbsScale < QuantSearch.GROUP_MAX_EPS) {
                java.util.Arrays.fill(out, o, o + 210, (byte) 0);
                continue;
            }
            float iscale = -128.f / maxScale;
            ws.putShort(o + 208, toF16(1 / iscale));
            for (int ib = 0; ib < 16; ib++) out[o + 192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
            float dAll = f16At(out, o + 208);
            for (int j = 0; j < 16; j++) {
                float d = dAll * out[o + 192 + j];
                if (d == 0) continue;
                LaneSearch.requantize(x, xo + 16 * j, 16, 0f, d, -32, 31, 32, L, 16 * j);
            }
            for (int j = 0; j < 256; j += 128) {
                int ql = o + j / 2, qh = o + 128 + j / 4;
                for (int l = 0; l < 32; l++) {
                    int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
                    out[ql + l] = (byte) ((q1 & 0xF) | (q3 & 0xF) << 4);
                    out[ql + l + 32] = (byte) ((q2 & 0xF) | (q4 & 0xF) << 4);
                    out[qh + l] = (byte) ((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
                }
            }
        }
    }

    private static float sumSquares(float[] x, int xo) {
        float s = 0;
        for (int l = 0; l < 256; l++) s += x[xo + l] * x[xo + l];
        return s;
    }

    private static float f16At(byte[] b, int o) {
        return fromF16((short) ((b[o] & 0xFF) | b[o + 1] << 8));
    }
}
