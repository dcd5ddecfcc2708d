package dev.jemma.quantize;

/**
 * The one-group scale searches (ggml-quants.c: nearest_int, make_qx_quants, make_qp_quants) that fit a
 * super-block's sub-block scales, and C's float-to-int conversion; the per-sub-block searches run several
 * groups at a time in {@link LaneSearch}. Written so that every float operation happens in the
 * order and precision ggml's C performs it: each expression below is float arithmetic evaluated left to right,
 * with ints promoted to float exactly where C promotes them. Java never contracts a·b+c into an FMA, and the
 * reference libggml-base.so is built without FMA instructions (none in its disassembly), so the results agree
 * to the bit.
 *
 * <p>Each search works on {@code n} values starting at an offset in a shared array, and writes its levels to
 * {@code L} (one byte each, read back signed or unsigned as ggml's int8_t or uint8_t arrays are).
 */
final class QuantSearch {
    /** Below this a group counts as all zero (GROUP_MAX_EPS). */
    static final float GROUP_MAX_EPS = 1e-15f;

    private QuantSearch() {}

    /**
     * Round to nearest, ties to even, by adding 1.5·2^23 and reading the low mantissa bits; exact for
     * |f| ≤ 2^22 - 1, and what ggml gets (by the same bits) for anything else, NaN included.
     */
    static int nearestInt(float f) {
        int i = Float.floatToRawIntBits(f + 12582912f);
        return (i & 0x007fffff) - 0x00400000;
    }

    /**
     * C's conversion of a float to an integer type as x86 compiles it (cvttss2si): truncation toward zero, and
     * 0x80000000 for NaN or anything out of int range (where Java would saturate or give 0).
     */
    static int truncate(float f) {
        int i = (int) f;
        return i == Integer.MAX_VALUE || (i == 0 && f != f) ? Integer.MIN_VALUE : i;
    }

    /**
     * Symmetric levels in [-nmax, nmax) for the weighted least-squares scale (make_qx_quants, rmse_type 1):
     * start from the scale that maps the largest magnitude to -nmax, then try 18 nearby scales and keep the one
     * whose fitted scale explains most of Σw·x·l. Weights are {@code qw} or, when null, x². Writes l + nmax.
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xo, byte[] L, int lo, float[] qw, int qo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) { amax = ax; max = x[xo + i]; }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            L[lo + i] = (byte) (l + nmax);
            float w = qw != null ? qw[qo + i] : xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
                float w = qw != null ? qw[qo + i] : xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    int l = nearestInt(iscale * x[xo + i]);
                    L[lo + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * Non-negative levels in [0, nmax] for non-negative values (make_qp_quants), used to quantize a super-block's
     * sub-block scales and mins: best of nine scales by weighted squared error, then up to five passes of single
     * level moves. Levels are stored as ggml's uint8_t (a negative level wraps), and read back unsigned.
     */
    static float makeQpQuants(int n, int nmax, float[] x, int xo, byte[] L, int lo, float[] qw, int qo) {
        float max = 0;
        for (int i = 0; i < n; i++) max = max > x[xo + i] ? max : x[xo + i];
        if (max < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; i++) L[lo + i] = (byte) nearestInt(iscale * x[xo + i]);
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; i++) {
            float diff = x[xo + i] - scale * (L[lo + i] & 0xFF);
            bestMse += qw[qo + i] * diff * diff;
        }
        for (int is = -4; is <= 4; is++) {
            if (is == 0) continue;
            float iscaleIs = (0.1f * is + nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.min(nmax, nearestInt(iscaleIs * x[xo + i]));
                float diff = x[xo + i] - scaleIs * l;
                mse += qw[qo + i] * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.min(nmax, nearestInt(iscale * x[xo + i]));
            L[lo + i] = (byte) l;
            float w = qw[qo + i];
            sumlx += w * x[xo + i] * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float w = qw[qo + i];
                float xi = x[xo + i];
                int li = L[lo + i] & 0xFF;
                float slx = sumlx - w * xi * li;
                float sl2 = suml2 - w * li * li;
                if (slx > 0 && sl2 > 0) {
                    int nl = Math.min(nmax, nearestInt(xi * sl2 / slx));
                    if (nl != li) {
                        slx += w * xi * nl;
                        sl2 += w * nl * nl;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lo + i] = (byte) nl;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }
}
