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
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dot4(MemorySegment data, long offset, float[] x, int xOff, int xs, int cols, float[] out, int outOff, int os) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector w = s8f(data, off + 2);
            FloatVector s0 = w.mul(xv(x, xo)), s1 = w.mul(xv(x, xo + xs)), s2 = w.mul(xv(x, xo + 2 * xs)), s3 = w.mul(xv(x, xo + 3 * xs));
            for (int j = L; j < 32; j += L) {
                w = s8f(data, off + 2 + j);
                s0 = w.fma(xv(x, xo + j), s0);
                s1 = w.fma(xv(x, xo + xs + j), s1);
                s2 = w.fma(xv(x, xo + 2 * xs + j), s2);
                s3 = w.fma(xv(x, xo + 3 * xs + j), s3);
            }
            FloatVector d = bc(f16(data, off));
            a0 = s0.fma(d, a0);
            a1 = s1.fma(d, a1);
            a2 = s2.fma(d, a2);
            a3 = s3.fma(d, a3);
        }
        out[outOff] = a0.reduceLanes(VectorOperators.ADD);
        out[outOff + os] = a1.reduceLanes(VectorOperators.ADD);
        out[outOff + 2 * os] = a2.reduceLanes(VectorOperators.ADD);
        out[outOff + 3 * os] = a3.reduceLanes(VectorOperators.ADD);
    }
}
