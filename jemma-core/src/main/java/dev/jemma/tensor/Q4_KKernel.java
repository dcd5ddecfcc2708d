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

    /** Each row once, two tokens at a time: one unpacking of each weight group serves both. */
    @Override
    public void dotRowsTokens(MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff, int xStride,
                              int tokens, int cols, float[] out, int outOff, int outStride) {
        for (int i = 0; i < rows; i++) {
            long off = offset + i * rowBytes;
            int t = 0;
            for (; t + 2 <= tokens; t += 2) dotTokens2(data, off, x, xOff + t * xStride, xOff + (t + 1) * xStride, cols, out, outOff + t * outStride + i, outStride);
            for (; t < tokens; t++) out[outOff + t * outStride + i] = dot(data, off, x, xOff + t * xStride, cols);
        }
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
