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
}
