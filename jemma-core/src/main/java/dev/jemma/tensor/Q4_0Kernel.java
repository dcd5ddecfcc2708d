package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0: blocks of 32 = f16 scale d, then 16 bytes; low nibbles are elements 0..15, high nibbles
 * 16..31 (not interleaved); value = d·(nibble − 8).
 */
final class Q4_0Kernel extends BlockKernel {
    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 18L * b;
            FloatVector d = bc(f16(data, off));
            int o = outOff + 32 * b;
            for (int j = 0; j < 16; j += L) {
                IntVector q = u8(data, off + 2 + j);
                d.mul(fl(q.and(0xF).sub(8))).intoArray(out, o + j);
                d.mul(fl(q.lanewise(VectorOperators.LSHR, 4).sub(8))).intoArray(out, o + 16 + j);
            }
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 18L * b;
            int xo = xOff + 32 * b;
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < 16; j += L) {
                IntVector q = u8(data, off + 2 + j);
                s = fl(q.and(0xF).sub(8)).fma(xv(x, xo + j), s);
                s = fl(q.lanewise(VectorOperators.LSHR, 4).sub(8)).fma(xv(x, xo + 16 + j), s);
            }
            acc = s.fma(bc(f16(data, off)), acc);
        }
        FloatVector r0 = acc;
        r0 = r0.add(r0.rearrange(ROT_2));
        r0 = r0.add(r0.rearrange(ROT_4));
        r0 = r0.add(r0.rearrange(ROT_8));
        if (L == 16) r0 = r0.add(r0.rearrange(ROT_16));
        return r0.lane(0);
    }

    /** Two rows at a time, one from each half of the range (two sequential streams), sharing the activation loads. */
    @Override
    public void dotRows(MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff, int cols,
                        float[] out, int outOff) {
        int h = rows / 2;
        for (int i = 0; i < h; i++) dot2(data, offset + i * rowBytes, offset + (i + h) * rowBytes, x, xOff, cols, out, outOff + i, outOff + i + h);
        for (int i = 2 * h; i < rows; i++) out[outOff + i] = dot(data, offset + i * rowBytes, x, xOff, cols);
    }

    /** {@link #dot} of the rows at offA and offB, each with exactly dot's arithmetic. */
    private static void dot2(MemorySegment data, long offA, long offB, float[] x, int xOff, int cols, float[] out, int oA, int oB) {
        FloatVector accA = FloatVector.zero(F), accB = accA;
        for (int b = 0, n = cols / 32; b < n; b++) {
            long a = offA + 18L * b, c = offB + 18L * b;
            int xo = xOff + 32 * b;
            FloatVector sA = FloatVector.zero(F), sB = sA;
            for (int j = 0; j < 16; j += L) {
                FloatVector xl = xv(x, xo + j), xh = xv(x, xo + 16 + j);
                IntVector qa = u8(data, a + 2 + j), qc = u8(data, c + 2 + j);
                sA = fl(qa.and(0xF).sub(8)).fma(xl, sA);
                sB = fl(qc.and(0xF).sub(8)).fma(xl, sB);
                sA = fl(qa.lanewise(VectorOperators.LSHR, 4).sub(8)).fma(xh, sA);
                sB = fl(qc.lanewise(VectorOperators.LSHR, 4).sub(8)).fma(xh, sB);
            }
            accA = sA.fma(bc(f16(data, a)), accA);
            accB = sB.fma(bc(f16(data, c)), accB);
        }
        FloatVector r1 = accA;
        r1 = r1.add(r1.rearrange(ROT_2));
        r1 = r1.add(r1.rearrange(ROT_4));
        r1 = r1.add(r1.rearrange(ROT_8));
        if (L == 16) r1 = r1.add(r1.rearrange(ROT_16));
        out[oA] = r1.lane(0);
        FloatVector r2 = accB;
        r2 = r2.add(r2.rearrange(ROT_2));
        r2 = r2.add(r2.rearrange(ROT_4));
        r2 = r2.add(r2.rearrange(ROT_8));
        if (L == 16) r2 = r2.add(r2.rearrange(ROT_16));
        out[oB] = r2.lane(0);
    }

    private static final Packed4 PACKED = Q4_0Kernel::packedTokens4;

    /**
     * Groups of four tokens from packed activations (one unpacking of each weight group serves four tokens), then
     * the rest one token at a time; each sum formed exactly as {@link #dot} forms it.
     */
    @Override
    public void dotRowsTokens(MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff, int xStride,
                              int tokens, int cols, float[] out, int outOff, int outStride, float[] scratch) {
        int t = packedGroups(PACKED, data, offset, rowBytes, rows, x, xOff, xStride, tokens, cols, out, outOff, outStride, scratch);
        for (; t < tokens; t++) dotRows(data, offset, rowBytes, rows, x, xOff + t * xStride, cols, out, outOff + t * outStride);
    }

    /** {@link #dot} of one row with a packed group of four tokens, each with exactly dot's arithmetic. */
    private static void packedTokens4(MemorySegment data, long off, float[] p, int at, int cols, float[] out, int o, int os) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0, n = cols / 32; b < n; b++) {
            long bo = off + 18L * b;
            int xb = at + 128 * b;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int j = 0; j < 16; j += L) {
                IntVector q = u8(data, bo + 2 + j);
                FloatVector lo = fl(q.and(0xF).sub(8)), hi = fl(q.lanewise(VectorOperators.LSHR, 4).sub(8));
                int l = xb + j, u = xb + 16 + j;
                s0 = hi.fma(xv(p, u), lo.fma(xv(p, l), s0));
                s1 = hi.fma(xv(p, u + 32), lo.fma(xv(p, l + 32), s1));
                s2 = hi.fma(xv(p, u + 64), lo.fma(xv(p, l + 64), s2));
                s3 = hi.fma(xv(p, u + 96), lo.fma(xv(p, l + 96), s3));
            }
            FloatVector d = bc(f16(data, bo));
            a0 = s0.fma(d, a0);
            a1 = s1.fma(d, a1);
            a2 = s2.fma(d, a2);
            a3 = s3.fma(d, a3);
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
}
