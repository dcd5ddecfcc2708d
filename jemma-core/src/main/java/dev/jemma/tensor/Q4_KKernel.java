package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K: super-blocks of 256 = f16 d, f16 dmin, scales[12] (eight 6-bit scales and mins), qs[128].
 * Chunk c of 32 bytes holds elements 64c..64c+31 (low nibbles, sub-block 2c) and 64c+32..64c+63
 * (high nibbles, sub-block 2c+1); value = d·scale·q − dmin·min. The dot is Σ_s (d·sc_s·Σq·x − dmin·m_s·Σx).
 */
final class Q4_KKernel extends BlockKernel {
    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 144L * b;
            float d = f16(data, off), dmin = f16(data, off + 2);
            long sa = data.get(U64, off + 4);
            int sb = data.get(U32, off + 12);
            for (int c = 0; c < 4; c++) {
                FloatVector d1 = bc(d * k4Scale(sa, sb, 2 * c)), m1 = bc(dmin * k4Min(sa, sb, 2 * c));
                FloatVector d2 = bc(d * k4Scale(sa, sb, 2 * c + 1)), m2 = bc(dmin * k4Min(sa, sb, 2 * c + 1));
                long q = off + 16 + 32L * c;
                int o = outOff + 256 * b + 64 * c;
                for (int l = 0; l < 32; l += L) {
                    IntVector v = u8(data, q + l);
                    d1.mul(fl(v.and(0xF))).sub(m1).intoArray(out, o + l);
                    d2.mul(fl(v.lanewise(VectorOperators.LSHR, 4))).sub(m2).intoArray(out, o + 32 + l);
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F), accM = FloatVector.zero(F);
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 144L * b;
            float d = f16(data, off), dmin = f16(data, off + 2);
            long sa = data.get(U64, off + 4);
            int sb = data.get(U32, off + 12);
            for (int c = 0; c < 4; c++) {
                int xo = xOff + 256 * b + 64 * c;
                long q = off + 16 + 32L * c;
                FloatVector lo = FloatVector.zero(F), hi = FloatVector.zero(F);
                FloatVector xs1 = FloatVector.zero(F), xs2 = FloatVector.zero(F);
                for (int l = 0; l < 32; l += L) {
                    IntVector v = u8(data, q + l);
                    FloatVector x1 = xv(x, xo + l), x2 = xv(x, xo + 32 + l);
                    lo = fl(v.and(0xF)).fma(x1, lo);
                    hi = fl(v.lanewise(VectorOperators.LSHR, 4)).fma(x2, hi);
                    xs1 = xs1.add(x1);
                    xs2 = xs2.add(x2);
                }
                acc = lo.fma(bc(d * k4Scale(sa, sb, 2 * c)), acc);
                acc = hi.fma(bc(d * k4Scale(sa, sb, 2 * c + 1)), acc);
                accM = xs1.fma(bc(dmin * k4Min(sa, sb, 2 * c)), accM);
                accM = xs2.fma(bc(dmin * k4Min(sa, sb, 2 * c + 1)), accM);
            }
        }
        FloatVector r0 = acc.sub(accM);
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
     * Four tokens at a time from the row unpacked once into {@code scratch} (its nibbles as floats in dot's order,
     * then d·scale and dmin·min per sub-block), with each token's sub-block sums Σx, which do not depend on the
     * row, taken once per product; then pairs, then single tokens, straight from the row. Every sum is formed
     * exactly as {@link #dot} forms it.
     */
    @Override
    public void dotRowsTokens(MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff, int xStride,
                              int tokens, int cols, float[] out, int outOff, int outStride, float[] scratch) {
        int t = 0;
        int xsAt = cols + cols / 16;
        for (; t + 4 <= tokens; t += 4) {
            for (int j = 0; j < 4; j++) subBlockSums(x, xOff + (t + j) * xStride, cols, scratch, xsAt + j * (cols / 64) * 2 * L);
            for (int i = 0; i < rows; i++) {
                unpack(data, offset + i * rowBytes, cols, scratch);
                scratchTokens4(scratch, cols, x, xOff + t * xStride, xStride, xsAt, out, outOff + t * outStride + i, outStride);
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

    /** One token's Σx of each 32-element sub-block, as dot accumulates them (lane-wise, from zero), two per chunk. */
    private static void subBlockSums(float[] x, int xOff, int cols, float[] s, int at) {
        for (int c = 0, n = cols / 64; c < n; c++) {
            int xo = xOff + 64 * c;
            FloatVector xs1 = FloatVector.zero(F), xs2 = FloatVector.zero(F);
            for (int l = 0; l < 32; l += L) {
                xs1 = xs1.add(xv(x, xo + l));
                xs2 = xs2.add(xv(x, xo + 32 + l));
            }
            xs1.intoArray(s, at + 2 * L * c);
            xs2.intoArray(s, at + 2 * L * c + L);
        }
    }

    /** The row's low and high nibbles as floats, group by group in dot's order, then d·sc and dmin·m per sub-block. */
    private static void unpack(MemorySegment data, long offset, int cols, float[] s) {
        int qi = 0, si = cols;
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 144L * b;
            float d = f16(data, off), dmin = f16(data, off + 2);
            long sa = data.get(U64, off + 4);
            int sb = data.get(U32, off + 12);
            for (int c = 0; c < 4; c++) {
                long q = off + 16 + 32L * c;
                for (int l = 0; l < 32; l += L) {
                    IntVector v = u8(data, q + l);
                    fl(v.and(0xF)).intoArray(s, qi);
                    fl(v.lanewise(VectorOperators.LSHR, 4)).intoArray(s, qi + L);
                    qi += 2 * L;
                }
                s[si++] = d * k4Scale(sa, sb, 2 * c);
                s[si++] = d * k4Scale(sa, sb, 2 * c + 1);
                s[si++] = dmin * k4Min(sa, sb, 2 * c);
                s[si++] = dmin * k4Min(sa, sb, 2 * c + 1);
            }
        }
    }

    /**
     * {@link #dot} of an unpacked row with four tokens (x at x0, x0+xs, ...) whose sub-block sums are at s[xsAt..]
     * (token j's at xsAt + j·cols/64·2L), each with exactly dot's arithmetic. The scale chain and the min chain
     * never meet before the end, so they run as two loops (fewer live registers), each in dot's order.
     */
    private static void scratchTokens4(float[] s, int cols, float[] x, int x0, int xs, int xsAt, float[] out, int o, int os) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
        int chunks = cols / 64, qi = 0;
        for (int c = 0; c < chunks; c++) {
            int xo = 64 * c, si = cols + 4 * c;
            FloatVector l0 = FloatVector.zero(F), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0, h3 = l0;
            for (int l = 0; l < 32; l += L) {
                FloatVector lo = FloatVector.fromArray(F, s, qi), hi = FloatVector.fromArray(F, s, qi + L);
                qi += 2 * L;
                int e1 = xo + l, e2 = e1 + 32;
                l0 = lo.fma(xv(x, x0 + e1), l0);
                h0 = hi.fma(xv(x, x0 + e2), h0);
                l1 = lo.fma(xv(x, x1 + e1), l1);
                h1 = hi.fma(xv(x, x1 + e2), h1);
                l2 = lo.fma(xv(x, x2 + e1), l2);
                h2 = hi.fma(xv(x, x2 + e2), h2);
                l3 = lo.fma(xv(x, x3 + e1), l3);
                h3 = hi.fma(xv(x, x3 + e2), h3);
            }
            FloatVector d1 = bc(s[si]), d2 = bc(s[si + 1]);
            a0 = h0.fma(d2, l0.fma(d1, a0));
            a1 = h1.fma(d2, l1.fma(d1, a1));
            a2 = h2.fma(d2, l2.fma(d1, a2));
            a3 = h3.fma(d2, l3.fma(d1, a3));
        }
        FloatVector m0 = FloatVector.zero(F), m1 = m0, m2 = m0, m3 = m0;
        int per = chunks * 2 * L;
        for (int c = 0; c < chunks; c++) {
            int si = cols + 4 * c, at = xsAt + 2 * L * c;
            FloatVector n1 = bc(s[si + 2]), n2 = bc(s[si + 3]);
            m0 = FloatVector.fromArray(F, s, at + L).fma(n2, FloatVector.fromArray(F, s, at).fma(n1, m0));
            m1 = FloatVector.fromArray(F, s, at + per + L).fma(n2, FloatVector.fromArray(F, s, at + per).fma(n1, m1));
            m2 = FloatVector.fromArray(F, s, at + 2 * per + L).fma(n2, FloatVector.fromArray(F, s, at + 2 * per).fma(n1, m2));
            m3 = FloatVector.fromArray(F, s, at + 3 * per + L).fma(n2, FloatVector.fromArray(F, s, at + 3 * per).fma(n1, m3));
        }
        a0 = a0.sub(m0);
        a1 = a1.sub(m1);
        a2 = a2.sub(m2);
        a3 = a3.sub(m3);
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
        FloatVector accA = FloatVector.zero(F), accMA = accA, accB = accA, accMB = accA;
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 144L * b;
            float d = f16(data, off), dmin = f16(data, off + 2);
            long sa = data.get(U64, off + 4);
            int sb = data.get(U32, off + 12);
            for (int c = 0; c < 4; c++) {
                int xo = 256 * b + 64 * c;
                long q = off + 16 + 32L * c;
                FloatVector loA = FloatVector.zero(F), hiA = loA, s1A = loA, s2A = loA;
                FloatVector loB = loA, hiB = loA, s1B = loA, s2B = loA;
                for (int l = 0; l < 32; l += L) {
                    IntVector v = u8(data, q + l);
                    FloatVector qlo = fl(v.and(0xF)), qhi = fl(v.lanewise(VectorOperators.LSHR, 4));
                    FloatVector a1 = xv(x, xA + xo + l), a2 = xv(x, xA + xo + 32 + l);
                    FloatVector b1 = xv(x, xB + xo + l), b2 = xv(x, xB + xo + 32 + l);
                    loA = qlo.fma(a1, loA);
                    hiA = qhi.fma(a2, hiA);
                    s1A = s1A.add(a1);
                    s2A = s2A.add(a2);
                    loB = qlo.fma(b1, loB);
                    hiB = qhi.fma(b2, hiB);
                    s1B = s1B.add(b1);
                    s2B = s2B.add(b2);
                }
                FloatVector d1 = bc(d * k4Scale(sa, sb, 2 * c)), d2 = bc(d * k4Scale(sa, sb, 2 * c + 1));
                FloatVector m1 = bc(dmin * k4Min(sa, sb, 2 * c)), m2 = bc(dmin * k4Min(sa, sb, 2 * c + 1));
                accA = hiA.fma(d2, loA.fma(d1, accA));
                accB = hiB.fma(d2, loB.fma(d1, accB));
                accMA = s2A.fma(m2, s1A.fma(m1, accMA));
                accMB = s2B.fma(m2, s1B.fma(m1, accMB));
            }
        }
        FloatVector r1 = accA.sub(accMA);
        r1 = r1.add(r1.rearrange(ROT_2));
        r1 = r1.add(r1.rearrange(ROT_4));
        r1 = r1.add(r1.rearrange(ROT_8));
        if (L == 16) r1 = r1.add(r1.rearrange(ROT_16));
        out[o] = r1.lane(0);
        FloatVector r2 = accB.sub(accMB);
        r2 = r2.add(r2.rearrange(ROT_2));
        r2 = r2.add(r2.rearrange(ROT_4));
        r2 = r2.add(r2.rearrange(ROT_8));
        if (L == 16) r2 = r2.add(r2.rearrange(ROT_16));
        out[o + os] = r2.lane(0);
    }
}
