package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q6_K: super-blocks of 256 = ql[128] (low 4 bits), qh[64] (high 2 bits), scales int8[16], f16 d.
 * Each half h of 128 elements uses ql[64h..], qh[32h..] and scales[8h..]; for l in 0..31 (is = l/16):
 * elements l, l+32, l+64, l+96 are lo(ql[l]), lo(ql[l+32]), hi(ql[l]), hi(ql[l+32]), each with 2 bits of
 * qh[l] (bits 0-1, 2-3, 4-5, 6-7) on top and scales is, is+2, is+4, is+6; value = d·scale·(q − 32).
 */
final class Q6_KKernel extends BlockKernel {
    private static float scale(MemorySegment data, long off) {
        return data.get(ValueLayout.JAVA_BYTE, off);
    }

    /**
     * The 16 quants of quarter k (0..3) of a half at elements l..l+L-1: nibble k>>1 of ql[32·(k&1) + l] with
     * bits 2k..2k+1 of qh[l] on top, minus 32. One code path for the four quarters keeps the compiled method
     * small enough for C2 to inline every vector operation.
     */
    private static IntVector quarter(MemorySegment data, long ql, long qh, int k, int l) {
        IntVector low = u8(data, ql + 32 * (k & 1) + l).lanewise(VectorOperators.LSHR, 4 * (k >> 1)).and(0xF);
        return low.or(u8(data, qh + l).lanewise(VectorOperators.LSHR, 2 * k).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
    }

    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 210L * b;
            float d = f16(data, off + 208);
            for (int h = 0; h < 2; h++) {
                long ql = off + 64L * h, qh = off + 128 + 32L * h, sc = off + 192 + 8L * h;
                int o = outOff + 256 * b + 128 * h;
                for (int k = 0; k < 4; k++) {
                    for (int l = 0; l < 32; l += L) { // L ≤ 16: a group never straddles the scale change at 16
                        FloatVector dl = bc(d * scale(data, sc + (l >> 4) + 2 * k));
                        dl.mul(fl(quarter(data, ql, qh, k, l))).intoArray(out, o + 32 * k + l);
                    }
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        // One method with no vector-typed helper: a helper taking or returning a vector that C2 does not inline
        // boxes it, allocating on every call.
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 210L * b;
            float d = f16(data, off + 208);
            for (int h = 0; h < 2; h++) {
                long ql = off + 64L * h, qh = off + 128 + 32L * h, sc = off + 192 + 8L * h;
                int xo = xOff + 256 * b + 128 * h;
                for (int k = 0; k < 2; k++) { // quarters k and k + 2 share their ql and qh bytes
                    int up = 4 - 2 * k, down = 2 * k;
                    for (int g = 0; g < 32; g += 16) { // 16-element sub-blocks: Σ q·x, then × d·scale
                        FloatVector s1 = FloatVector.zero(F), s2 = FloatVector.zero(F);
                        for (int l = g; l < g + 16; l += L) {
                            IntVector q = u8(data, ql + 32 * k + l), hb = u8(data, qh + l);
                            // the quarter's two high bits land on bits 4-5: (hb >> 2k & 3) << 4 = (hb << 4 − 2k) & 0x30
                            IntVector q1 = q.and(0xF).or(hb.lanewise(VectorOperators.LSHL, up).and(0x30));
                            IntVector q2 = q.lanewise(VectorOperators.LSHR, 4).or(hb.lanewise(VectorOperators.LSHR, down).and(0x30));
                            s1 = fl(q1.sub(32)).fma(xv(x, xo + 32 * k + l), s1);
                            s2 = fl(q2.sub(32)).fma(xv(x, xo + 32 * k + 64 + l), s2);
                        }
                        acc = s1.fma(bc(d * scale(data, sc + (g >> 4) + 2 * k)), acc);
                        acc = s2.fma(bc(d * scale(data, sc + (g >> 4) + 2 * k + 4)), acc);
                    }
                }
            }
        }
        FloatVector r0 = acc;
        r0 = r0.add(r0.rearrange(ROT_2));
        r0 = r0.add(r0.rearrange(ROT_4));
        r0 = r0.add(r0.rearrange(ROT_8));
        if (L == 16) r0 = r0.add(r0.rearrange(ROT_16));
        return r0.lane(0);
    }

    /** The rows in this class's own loop, so the per-row call is direct (and inlined), not a megamorphic dispatch. */
    @Override
    public void dotRows(MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff, int cols,
                        float[] out, int outOff) {
        for (int i = 0; i < rows; i++) out[outOff + i] = dot(data, offset + i * rowBytes, x, xOff, cols);
    }

    /**
     * Four tokens at a time from the row unpacked once into {@code scratch} (its quants as floats, in the order dot
     * takes them, then its sub-block scales): the unpacking, most of a lone dot's work, serves four tokens. Then
     * pairs, then single tokens, each straight from the row. Every sum is formed exactly as {@link #dot} forms it.
     */
    @Override
    public void dotRowsTokens(MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff, int xStride,
                              int tokens, int cols, float[] out, int outOff, int outStride, float[] scratch) {
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            for (int i = 0; i < rows; i++) {
                unpack(data, offset + i * rowBytes, cols, scratch);
                scratchTokens4(scratch, cols, x, xOff + t * xStride, xStride, out, outOff + t * outStride + i, outStride);
            }
        }
        for (; t + 2 <= tokens; t += 2) {
            for (int i = 0; i < rows; i++) {
                dotTokens2(data, offset + i * rowBytes, x, xOff + t * xStride, xOff + (t + 1) * xStride, cols, out,
                        outOff + t * outStride + i, outStride);
            }
        }
        for (; t < tokens; t++) dotRows(data, offset, rowBytes, rows, x, xOff + t * xStride, cols, out, outOff + t * outStride);
    }

    /** The row's (q − 32) as floats, group by group in dot's order (two groups per step), then d·scale per sub-block. */
    private static void unpack(MemorySegment data, long offset, int cols, float[] s) {
        int qi = 0, si = cols;
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 210L * b;
            float d = f16(data, off + 208);
            for (int h = 0; h < 2; h++) {
                long ql = off + 64L * h, qh = off + 128 + 32L * h, sc = off + 192 + 8L * h;
                for (int k = 0; k < 2; k++) {
                    int up = 4 - 2 * k, down = 2 * k;
                    for (int g = 0; g < 32; g += 16) {
                        for (int l = g; l < g + 16; l += L) {
                            IntVector q = u8(data, ql + 32 * k + l), hb = u8(data, qh + l);
                            IntVector q1 = q.and(0xF).or(hb.lanewise(VectorOperators.LSHL, up).and(0x30));
                            IntVector q2 = q.lanewise(VectorOperators.LSHR, 4).or(hb.lanewise(VectorOperators.LSHR, down).and(0x30));
                            fl(q1.sub(32)).intoArray(s, qi);
                            fl(q2.sub(32)).intoArray(s, qi + L);
                            qi += 2 * L;
                        }
                        s[si++] = d * scale(data, sc + (g >> 4) + 2 * k);
                        s[si++] = d * scale(data, sc + (g >> 4) + 2 * k + 4);
                    }
                }
            }
        }
    }

    /** {@link #dot} of an unpacked row with four tokens (x at x0, x0+xs, ...), each with exactly dot's arithmetic. */
    private static void scratchTokens4(float[] s, int cols, float[] x, int x0, int xs, float[] out, int o, int os) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
        int qi = 0, si = cols;
        for (int b = 0, n = cols / 256; b < n; b++) {
            for (int h = 0; h < 2; h++) {
                int xo = 256 * b + 128 * h;
                for (int k = 0; k < 2; k++) {
                    for (int g = 0; g < 32; g += 16) {
                        FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0, q0 = p0, q1 = p0, q2 = p0, q3 = p0;
                        for (int l = g; l < g + 16; l += L) {
                            FloatVector f1 = FloatVector.fromArray(F, s, qi), f2 = FloatVector.fromArray(F, s, qi + L);
                            qi += 2 * L;
                            int e1 = xo + 32 * k + l, e2 = e1 + 64;
                            p0 = f1.fma(xv(x, x0 + e1), p0);
                            q0 = f2.fma(xv(x, x0 + e2), q0);
                            p1 = f1.fma(xv(x, x1 + e1), p1);
                            q1 = f2.fma(xv(x, x1 + e2), q1);
                            p2 = f1.fma(xv(x, x2 + e1), p2);
                            q2 = f2.fma(xv(x, x2 + e2), q2);
                            p3 = f1.fma(xv(x, x3 + e1), p3);
                            q3 = f2.fma(xv(x, x3 + e2), q3);
                        }
                        FloatVector d1 = bc(s[si]), d2 = bc(s[si + 1]);
                        si += 2;
                        a0 = q0.fma(d2, p0.fma(d1, a0));
                        a1 = q1.fma(d2, p1.fma(d1, a1));
                        a2 = q2.fma(d2, p2.fma(d1, a2));
                        a3 = q3.fma(d2, p3.fma(d1, a3));
                    }
                }
            }
        }
        a0 = a0.add(a0.rearrange(ROT_2));
        a0 = a0.add(a0.rearrange(ROT_4));
        a0 = a0.add(a0.rearrange(ROT_8));
        if (L == 16) a0 = a0.add(a0.rearrange(ROT_16));
        a1 = a1.add(a1.rearrange(ROT_2));
        a1 = a1.add(a1.rearrange(ROT_4));
        a1 = a1.add(a1.rearrange(ROT_8));
        if (L == 16) a1 = a1.add(a1.rearrange(ROT_16));
        a2 = a2.add(a2.rearrange(ROT_2));
        a2 = a2.add(a2.rearrange(ROT_4));
        a2 = a2.add(a2.rearrange(ROT_8));
        if (L == 16) a2 = a2.add(a2.rearrange(ROT_16));
        a3 = a3.add(a3.rearrange(ROT_2));
        a3 = a3.add(a3.rearrange(ROT_4));
        a3 = a3.add(a3.rearrange(ROT_8));
        if (L == 16) a3 = a3.add(a3.rearrange(ROT_16));
        out[o] = a0.lane(0);
        out[o + os] = a1.lane(0);
        out[o + 2 * os] = a2.lane(0);
        out[o + 3 * os] = a3.lane(0);
    }

    /** {@link #dot} of one row with the tokens at xA and xB, each with exactly dot's arithmetic. */
    private static void dotTokens2(MemorySegment data, long offset, float[] x, int xA, int xB, int cols, float[] out, int o, int os) {
        FloatVector accA = FloatVector.zero(F), accB = accA;
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 210L * b;
            float d = f16(data, off + 208);
            for (int h = 0; h < 2; h++) {
                long ql = off + 64L * h, qh = off + 128 + 32L * h, sc = off + 192 + 8L * h;
                int xo = 256 * b + 128 * h;
                for (int k = 0; k < 2; k++) {
                    int up = 4 - 2 * k, down = 2 * k;
                    for (int g = 0; g < 32; g += 16) {
                        FloatVector s1A = FloatVector.zero(F), s2A = s1A, s1B = s1A, s2B = s1A;
                        for (int l = g; l < g + 16; l += L) {
                            IntVector q = u8(data, ql + 32 * k + l), hb = u8(data, qh + l);
                            IntVector q1 = q.and(0xF).or(hb.lanewise(VectorOperators.LSHL, up).and(0x30));
                            IntVector q2 = q.lanewise(VectorOperators.LSHR, 4).or(hb.lanewise(VectorOperators.LSHR, down).and(0x30));
                            FloatVector f1 = fl(q1.sub(32)), f2 = fl(q2.sub(32));
                            int e1 = xo + 32 * k + l, e2 = xo + 32 * k + 64 + l;
                            s1A = f1.fma(xv(x, xA + e1), s1A);
                            s2A = f2.fma(xv(x, xA + e2), s2A);
                            s1B = f1.fma(xv(x, xB + e1), s1B);
                            s2B = f2.fma(xv(x, xB + e2), s2B);
                        }
                        FloatVector d1 = bc(d * scale(data, sc + (g >> 4) + 2 * k)), d2 = bc(d * scale(data, sc + (g >> 4) + 2 * k + 4));
                        accA = s2A.fma(d2, s1A.fma(d1, accA));
                        accB = s2B.fma(d2, s1B.fma(d1, accB));
                    }
                }
            }
        }
        FloatVector r1 = accA;
        r1 = r1.add(r1.rearrange(ROT_2));
        r1 = r1.add(r1.rearrange(ROT_4));
        r1 = r1.add(r1.rearrange(ROT_8));
        if (L == 16) r1 = r1.add(r1.rearrange(ROT_16));
        out[o] = r1.lane(0);
        FloatVector r2 = accB;
        r2 = r2.add(r2.rearrange(ROT_2));
        r2 = r2.add(r2.rearrange(ROT_4));
        r2 = r2.add(r2.rearrange(ROT_8));
        if (L == 16) r2 = r2.add(r2.rearrange(ROT_16));
        out[o + os] = r2.lane(0);
    }
}
