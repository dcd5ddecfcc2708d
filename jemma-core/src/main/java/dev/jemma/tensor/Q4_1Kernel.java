package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * Q4_1: blocks of 32 = f16 scale d, f16 min m, 16 bytes of nibbles (low: 0..15, high: 16..31); value = d·q + m.
 * The dot is d·Σq·x + m·Σx.
 */
final class Q4_1Kernel extends BlockKernel {
    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 20L * b;
            FloatVector d = bc(f16(data, off)), m = bc(f16(data, off + 2));
            int o = outOff + 32 * b;
            for (int j = 0; j < 16; j += L) {
                IntVector q = u8(data, off + 4 + j);
                d.mul(fl(q.and(0xF))).add(m).intoArray(out, o + j);
                d.mul(fl(q.lanewise(VectorOperators.LSHR, 4))).add(m).intoArray(out, o + 16 + j);
            }
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F), accM = FloatVector.zero(F);
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 20L * b;
            int xo = xOff + 32 * b;
            FloatVector s = FloatVector.zero(F), xs = FloatVector.zero(F);
            for (int j = 0; j < 16; j += L) {
                IntVector q = u8(data, off + 4 + j);
                FloatVector x1 = xv(x, xo + j), x2 = xv(x, xo + 16 + j);
                s = fl(q.and(0xF)).fma(x1, s);
                s = fl(q.lanewise(VectorOperators.LSHR, 4)).fma(x2, s);
                xs = xs.add(x1).add(x2);
            }
            acc = s.fma(bc(f16(data, off)), acc);
            accM = xs.fma(bc(f16(data, off + 2)), accM);
        }
        FloatVector r0 = acc.add(accM);
        r0 = r0.add(r0.rearrange(ROT_2));
        r0 = r0.add(r0.rearrange(ROT_4));
        r0 = r0.add(r0.rearrange(ROT_8));
        if (L == 16) r0 = r0.add(r0.rearrange(ROT_16));
        return r0.lane(0);
    }
}
