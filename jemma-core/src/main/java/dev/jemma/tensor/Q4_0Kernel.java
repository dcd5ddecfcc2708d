package dev.jemma.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0: blocks of 32 = f16 scale d, then 16 bytes; low nibbles are elements 0..15, high nibbles
 * 16..31 (not interleaved); value = d·(nibble − 8).
 */
final class Q4_0Kernel extends BlockKernel {
    Q4_0Kernel() {
        super(GGMLType.Q4_0);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long off, float[] out, int outOff) {
        float d = f16(data, off);
        for (int j = 0; j < 16; j++) {
            int b = u8(data, off + 2 + j);
            out[outOff + j] = d * ((b & 0xF) - 8);
            out[outOff + j + 16] = d * ((b >> 4) - 8);
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
                ByteVector q = bytes(data, off + 2 + j);
                s = floats(q.and((byte) 0xF).sub((byte) 8)).fma(FloatVector.fromArray(F, x, xo + j), s);
                s = floats(q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8)).fma(FloatVector.fromArray(F, x, xo + 16 + j), s);
            }
            acc = s.mul(f16(data, off)).add(acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
