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
        out[o] = accA.reduceLanes(VectorOperators.ADD);
        out[o + outStep] = accB.reduceLanes(VectorOperators.ADD);
        out[o + 2 * outStep] = accC.reduceLanes(VectorOperators.ADD);
        out[o + 3 * outStep] = accD.reduceLanes(VectorOperators.ADD);
    }
}
