package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The prefill product's register tile: 5 dequantized weight rows × 16 tokens, with the tokens in the vector
 * lanes. The activations are first laid out token-minor in blocks of 16 tokens ({@link #transpose}), so a
 * tile streams one contiguous block and, per column k, loads two vectors of 8 tokens and broadcasts five
 * weights into ten independent accumulators: two loads and five broadcasts per ten FMAs, no horizontal sums.
 * (The dot-product form, a row and a token per 8-lane accumulator, needs a load per row and per token; on L1
 * data it ran at about half the FMA peak, this form near it.) Five rows, not six: ten accumulators plus three
 * temporaries leave AVX2's sixteen vector registers some slack, and the six-row form's speed swung with C2's
 * loop shape (with and without loop strip mining) from faster to slower than the dot-product form.
 *
 * <p>Each (row, token) sum is one fused multiply-add chain over k = 0, 1, .., cols−1 from zero, whatever
 * the tile, the thread split or the number of tokens: {@code acc = fma(w[k], x[k], acc)}.
 */
final class TokenTile {
    static final int TOKENS = 16;
    /**
     * With 512-bit vectors the sixteen tokens fill one vector, and the tile is eight rows: per column one load and
     * eight broadcasts (loads too) serve eight FMAs of sixteen lanes, where the 256-bit five-row form does ten FMAs
     * of eight lanes for seven loads. Same sums: each is still one FMA chain over k.
     */
    static final boolean WIDE = FloatVector.SPECIES_PREFERRED.length() >= 16;
    static final int ROWS = WIDE ? 8 : 5;
    private static final int BLOCK = 128;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;

    private TokenTile() {
    }

    /**
     * Token blocks [g0, g1) of in (token t at in[inOff + t·inStride ..], cols wide) into
     * xT[g·16·cols + 16·k + (t − 16g)]; lanes of tokens ≥ {@code tokens} are zero.
     */
    static void transpose(float[] in, int inOff, int inStride, int tokens, int cols, float[] xT, int g0, int g1) {
        for (int g = g0; g < g1; g++) {
            int base = g * TOKENS * cols;
            for (int j = 0; j < TOKENS; j++) {
                int t = g * TOKENS + j;
                if (t < tokens) {
                    int src = inOff + t * inStride;
                    for (int k = 0; k < cols; k++) xT[base + TOKENS * k + j] = in[src + k];
                } else {
                    for (int k = 0; k < cols; k++) xT[base + TOKENS * k + j] = 0f;
                }
            }
        }
    }

    /**
     * acc[16·i + j] = Σ_k w[p[i] + k] · x_j[k] for the {@link #ROWS} rows at w[p[i]..] and the 16 tokens of the
     * block at xT[xo..].
     */
    static void tile(float[] w, int[] p, int cols, float[] xT, int xo, float[] acc) {
        if (WIDE) tile8(w, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], cols, xT, xo, acc);
        else tile5(w, p[0], p[1], p[2], p[3], p[4], cols, xT, xo, acc);
    }

    /** acc[16·i + j] for the eight rows at w[p_i..], sixteen tokens a vector. */
    private static void tile8(float[] w, int p0, int p1, int p2, int p3, int p4, int p5, int p6, int p7, int cols, float[] xT, int xo,
                              float[] acc) {
        FloatVector a0 = FloatVector.zero(F16), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int kb = 0; kb < cols; kb += BLOCK) {
            for (int k = kb, ke = Math.min(cols, kb + BLOCK); k < ke; k++) {
                FloatVector x = FloatVector.fromArray(F16, xT, xo + TOKENS * k);
                a0 = x.fma(FloatVector.broadcast(F16, w[p0 + k]), a0);
                a1 = x.fma(FloatVector.broadcast(F16, w[p1 + k]), a1);
                a2 = x.fma(FloatVector.broadcast(F16, w[p2 + k]), a2);
                a3 = x.fma(FloatVector.broadcast(F16, w[p3 + k]), a3);
                a4 = x.fma(FloatVector.broadcast(F16, w[p4 + k]), a4);
                a5 = x.fma(FloatVector.broadcast(F16, w[p5 + k]), a5);
                a6 = x.fma(FloatVector.broadcast(F16, w[p6 + k]), a6);
                a7 = x.fma(FloatVector.broadcast(F16, w[p7 + k]), a7);
            }
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, 16);
        a2.intoArray(acc, 32);
        a3.intoArray(acc, 48);
        a4.intoArray(acc, 64);
        a5.intoArray(acc, 80);
        a6.intoArray(acc, 96);
        a7.intoArray(acc, 112);
    }

    private static void tile5(float[] w, int p0, int p1, int p2, int p3, int p4, int cols, float[] xT, int xo, float[] acc) {
        FloatVector a0 = FloatVector.zero(F8), a1 = a0, a2 = a0, a3 = a0, a4 = a0;
        FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, c4 = a0;
        // An explicit inner loop over blocks of columns: with one flat loop, C2 without loop strip mining (the
        // Parallel collector's default, which the launcher uses) compiled this loop to run 1.5× slower.
        for (int kb = 0; kb < cols; kb += BLOCK) {
            for (int k = kb, ke = Math.min(cols, kb + BLOCK); k < ke; k++) {
                int xk = xo + TOKENS * k;
                FloatVector lo = FloatVector.fromArray(F8, xT, xk), hi = FloatVector.fromArray(F8, xT, xk + 8);
                FloatVector s = FloatVector.broadcast(F8, w[p0 + k]);
                a0 = lo.fma(s, a0);
                c0 = hi.fma(s, c0);
                s = FloatVector.broadcast(F8, w[p1 + k]);
                a1 = lo.fma(s, a1);
                c1 = hi.fma(s, c1);
                s = FloatVector.broadcast(F8, w[p2 + k]);
                a2 = lo.fma(s, a2);
                c2 = hi.fma(s, c2);
                s = FloatVector.broadcast(F8, w[p3 + k]);
                a3 = lo.fma(s, a3);
                c3 = hi.fma(s, c3);
                s = FloatVector.broadcast(F8, w[p4 + k]);
                a4 = lo.fma(s, a4);
                c4 = hi.fma(s, c4);
            }
        }
        a0.intoArray(acc, 0);
        c0.intoArray(acc, 8);
        a1.intoArray(acc, 16);
        c1.intoArray(acc, 24);
        a2.intoArray(acc, 32);
        c2.intoArray(acc, 40);
        a3.intoArray(acc, 48);
        c3.intoArray(acc, 56);
        a4.intoArray(acc, 64);
        c4.intoArray(acc, 72);
    }
}
