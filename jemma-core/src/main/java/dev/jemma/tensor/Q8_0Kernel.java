package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/** Q8_0: blocks of 32 = f16 scale d, then 32 signed bytes q; value = d·q. */
final class Q8_0Kernel extends BlockKernel {
    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 34L * b;
            FloatVector d = bc(f16(data, off));
            for (int j = 0; j < 32; j += L) s8f(data, off + 2 + j).mul(d).intoArray(out, outOff + 32 * b + j);
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector s = s8f(data, off + 2).mul(xv(x, xo));
            for (int j = L; j < 32; j += L) s = s8f(data, off + 2 + j).fma(xv(x, xo + j), s);
            acc = s.fma(bc(f16(data, off)), acc);
        }
        FloatVector r0 = acc;
        r0 = r0.add(r0.rearrange(ROT_2));
        r0 = r0.add(r0.rearrange(ROT_4));
        r0 = r0.add(r0.rearrange(ROT_8));
        if (L == 16) r0 = r0.add(r0.rearrange(ROT_16));
        return r0.lane(0);
    }

    /**
     * Four rows at a time, one from each quarter of the range: four sequential streams through memory (rows
     * side by side interleaved in one stream confused the prefetcher and ran slower than one row at a time),
     * and the activation loads shared.
     */
    @Override
    public void dotRows(MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff, int cols,
                        float[] out, int outOff) {
        int q = rows / 4;
        for (int i = 0; i < q; i++) dot4(data, offset + i * rowBytes, q * rowBytes, x, xOff, cols, out, outOff + i, q);
        for (int i = 4 * q; i < rows; i++) out[outOff + i] = dot(data, offset + i * rowBytes, x, xOff, cols);
    }

    /** {@link #dot} of rows at off, off+step, off+2·step, off+3·step, each with exactly dot's arithmetic. */
    private static void dot4(MemorySegment data, long off, long step, float[] x, int xOff, int cols, float[] out, int o, int outStep) {
        FloatVector accA = FloatVector.zero(F), accB = accA, accC = accA, accD = accA;
        for (int b = 0, n = cols / 32; b < n; b++) {
            long a = off + 34L * b, c = a + step, e = c + step, g = e + step;
            int xo = xOff + 32 * b;
            FloatVector xj = xv(x, xo);
            FloatVector sA = s8f(data, a + 2).mul(xj), sB = s8f(data, c + 2).mul(xj);
            FloatVector sC = s8f(data, e + 2).mul(xj), sD = s8f(data, g + 2).mul(xj);
            for (int j = L; j < 32; j += L) {
                xj = xv(x, xo + j);
                sA = s8f(data, a + 2 + j).fma(xj, sA);
                sB = s8f(data, c + 2 + j).fma(xj, sB);
                sC = s8f(data, e + 2 + j).fma(xj, sC);
                sD = s8f(data, g + 2 + j).fma(xj, sD);
            }
            accA = sA.fma(bc(f16(data, a)), accA);
            accB = sB.fma(bc(f16(data, c)), accB);
            accC = sC.fma(bc(f16(data, e)), accC);
            accD = sD.fma(bc(f16(data, g)), accD);
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
        out[o + outStep] = r2.lane(0);
        FloatVector r3 = accC;
        r3 = r3.add(r3.rearrange(ROT_2));
        r3 = r3.add(r3.rearrange(ROT_4));
        r3 = r3.add(r3.rearrange(ROT_8));
        if (L == 16) r3 = r3.add(r3.rearrange(ROT_16));
        out[o + 2 * outStep] = r3.lane(0);
        FloatVector r4 = accD;
        r4 = r4.add(r4.rearrange(ROT_2));
        r4 = r4.add(r4.rearrange(ROT_4));
        r4 = r4.add(r4.rearrange(ROT_8));
        if (L == 16) r4 = r4.add(r4.rearrange(ROT_16));
        out[o + 3 * outStep] = r4.lane(0);
    }

    private static final Packed4 PACKED = Q8_0Kernel::packedTokens4;

    /**
     * Groups of four tokens from packed activations (one conversion of each weight group serves four tokens), then
     * a pair and a single token straight from x. Every sum is formed exactly as {@link #dot} forms it.
     */
    @Override
    public void dotRowsTokens(MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff, int xStride,
                              int tokens, int cols, float[] out, int outOff, int outStride, float[] scratch) {
        int t = packedGroups(PACKED, data, offset, rowBytes, rows, x, xOff, xStride, tokens, cols, out, outOff, outStride, scratch);
        for (int i = 0; i < rows; i++) {
            long off = offset + i * rowBytes;
            int u = t;
            if (u + 2 <= tokens) {
                dotTokens2(data, off, x, xOff + u * xStride, xStride, cols, out, outOff + u * outStride + i, outStride);
                u += 2;
            }
            if (u < tokens) out[outOff + u * outStride + i] = dot(data, off, x, xOff + u * xStride, cols);
        }
    }

    /** {@link #dot} of one row with two tokens (x at x0 and x0+xs), each with exactly dot's arithmetic. */
    private static void dotTokens2(MemorySegment data, long off, float[] x, int x0, int xs, int cols, float[] out, int o, int os) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int x1 = x0 + xs;
        for (int b = 0, n = cols / 32; b < n; b++) {
            long bo = off + 34L * b;
            int xo = 32 * b;
            FloatVector q = s8f(data, bo + 2);
            FloatVector s0 = q.mul(xv(x, x0 + xo)), s1 = q.mul(xv(x, x1 + xo));
            for (int j = L; j < 32; j += L) {
                q = s8f(data, bo + 2 + j);
                s0 = q.fma(xv(x, x0 + xo + j), s0);
                s1 = q.fma(xv(x, x1 + xo + j), s1);
            }
            FloatVector d = bc(f16(data, bo));
            a0 = s0.fma(d, a0);
            a1 = s1.fma(d, a1);
        }
        FloatVector r5 = a0;
        r5 = r5.add(r5.rearrange(ROT_2));
        r5 = r5.add(r5.rearrange(ROT_4));
        r5 = r5.add(r5.rearrange(ROT_8));
        if (L == 16) r5 = r5.add(r5.rearrange(ROT_16));
        out[o] = r5.lane(0);
        FloatVector r6 = a1;
        r6 = r6.add(r6.rearrange(ROT_2));
        r6 = r6.add(r6.rearrange(ROT_4));
        r6 = r6.add(r6.rearrange(ROT_8));
        if (L == 16) r6 = r6.add(r6.rearrange(ROT_16));
        out[o + os] = r6.lane(0);
    }

    /** {@link #dot} of one row with a packed group of four tokens ({@link #pack4}), each with exactly dot's arithmetic. */
    private static void packedTokens4(MemorySegment data, long off, float[] p, int at, int cols, float[] out, int o, int os) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0, n = cols / 32; b < n; b++) {
            long bo = off + 34L * b;
            int xb = at + 128 * b;
            FloatVector q = s8f(data, bo + 2);
            FloatVector s0 = q.mul(xv(p, xb)), s1 = q.mul(xv(p, xb + 32));
            FloatVector s2 = q.mul(xv(p, xb + 64)), s3 = q.mul(xv(p, xb + 96));
            for (int j = L; j < 32; j += L) {
                q = s8f(data, bo + 2 + j);
                s0 = q.fma(xv(p, xb + j), s0);
                s1 = q.fma(xv(p, xb + 32 + j), s1);
                s2 = q.fma(xv(p, xb + 64 + j), s2);
                s3 = q.fma(xv(p, xb + 96 + j), s3);
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
