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
        return acc.reduceLanes(VectorOperators.ADD);
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
        out[oA] = accA.reduceLanes(VectorOperators.ADD);
        out[oB] = accB.reduceLanes(VectorOperators.ADD);
    }
}
