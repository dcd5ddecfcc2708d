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

    /** Each row once, four tokens at a time: one unpacking of each weight group serves four tokens. */
    @Override
    public void dotRowsTokens(MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff, int xStride,
                              int tokens, int cols, float[] out, int outOff, int outStride) {
        for (int i = 0; i < rows; i++) {
            long off = offset + i * rowBytes;
            int t = 0;
            for (; t + 4 <= tokens; t += 4) dotTokens4(data, off, x, xOff + t * xStride, xStride, cols, out, outOff + t * outStride + i, outStride);
            for (; t < tokens; t++) out[outOff + t * outStride + i] = dot(data, off, x, xOff + t * xStride, cols);
        }
    }

    /** {@link #dot} of one row with four tokens (x at x0, x0+xs, ...), each with exactly dot's arithmetic. */
    private static void dotTokens4(MemorySegment data, long off, float[] x, int x0, int xs, int cols, float[] out, int o, int os) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
        for (int b = 0, n = cols / 32; b < n; b++) {
            long bo = off + 18L * b;
            int xo = 32 * b;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int j = 0; j < 16; j += L) {
                IntVector q = u8(data, bo + 2 + j);
                FloatVector lo = fl(q.and(0xF).sub(8)), hi = fl(q.lanewise(VectorOperators.LSHR, 4).sub(8));
                s0 = lo.fma(xv(x, x0 + xo + j), s0);
                s1 = lo.fma(xv(x, x1 + xo + j), s1);
                s2 = lo.fma(xv(x, x2 + xo + j), s2);
                s3 = lo.fma(xv(x, x3 + xo + j), s3);
                s0 = hi.fma(xv(x, x0 + xo + 16 + j), s0);
                s1 = hi.fma(xv(x, x1 + xo + 16 + j), s1);
                s2 = hi.fma(xv(x, x2 + xo + 16 + j), s2);
                s3 = hi.fma(xv(x, x3 + xo + 16 + j), s3);
            }
            FloatVector d = bc(f16(data, bo));
            a0 = s0.fma(d, a0);
            a1 = s1.fma(d, a1);
            a2 = s2.fma(d, a2);
            a3 = s3.fma(d, a3);
        }
        FloatVector r3 = a0;
        r3 = r3.add(r3.rearrange(ROT_2));
        r3 = r3.add(r3.rearrange(ROT_4));
        r3 = r3.add(r3.rearrange(ROT_8));
        if (L == 16) r3 = r3.add(r3.rearrange(ROT_16));
        out[o] = r3.lane(0);
        FloatVector r4 = a1;
        r4 = r4.add(r4.rearrange(ROT_2));
        r4 = r4.add(r4.rearrange(ROT_4));
        r4 = r4.add(r4.rearrange(ROT_8));
        if (L == 16) r4 = r4.add(r4.rearrange(ROT_16));
        out[o + os] = r4.lane(0);
        FloatVector r5 = a2;
        r5 = r5.add(r5.rearrange(ROT_2));
        r5 = r5.add(r5.rearrange(ROT_4));
        r5 = r5.add(r5.rearrange(ROT_8));
        if (L == 16) r5 = r5.add(r5.rearrange(ROT_16));
        out[o + 2 * os] = r5.lane(0);
        FloatVector r6 = a3;
        r6 = r6.add(r6.rearrange(ROT_2));
        r6 = r6.add(r6.rearrange(ROT_4));
        r6 = r6.add(r6.rearrange(ROT_8));
        if (L == 16) r6 = r6.add(r6.rearrange(ROT_16));
        out[o + 3 * os] = r6.lane(0);
    }
}
