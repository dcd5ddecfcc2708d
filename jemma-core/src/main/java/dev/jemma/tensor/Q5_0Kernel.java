package dev.jemma.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q5_0: blocks of 32 = f16 scale d, 32 high bits qh (u32, bit j belongs to element j), 16 bytes of
 * nibbles (low: 0..15, high: 16..31); value = d·((nibble | bit<<4) − 16).
 */
final class Q5_0Kernel extends BlockKernel {
    private static final long LANE_BITS = (1L << L) - 1;

    Q5_0Kernel() {
        super(GGMLType.Q5_0);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long off, float[] out, int outOff) {
        float d = f16(data, off);
        int qh = data.get(ValueLayout.JAVA_INT_UNALIGNED, off + 2);
        for (int j = 0; j < 16; j++) {
            int b = u8(data, off + 6 + j);
            out[outOff + j] = d * (((b & 0xF) | ((qh >>> j) & 1) << 4) - 16);
            out[outOff + j + 16] = d * (((b >> 4) | ((qh >>> (j + 16)) & 1) << 4) - 16);
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 22L * b;
            int xo = xOff + 32 * b;
            long qh = data.get(ValueLayout.JAVA_INT_UNALIGNED, off + 2) & 0xFFFFFFFFL;
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < 16; j += L) {
                ByteVector q = bytes(data, off + 6 + j);
                VectorMask<Byte> hLo = VectorMask.fromLong(B, (qh >>> j) & LANE_BITS);
                VectorMask<Byte> hHi = VectorMask.fromLong(B, (qh >>> (16 + j)) & LANE_BITS);
                ByteVector lo = q.and((byte) 0xF).sub((byte) 16).add((byte) 16, hLo);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 16).add((byte) 16, hHi);
                s = floats(lo).fma(FloatVector.fromArray(F, x, xo + j), s);
                s = floats(hi).fma(FloatVector.fromArray(F, x, xo + 16 + j), s);
            }
            acc = s.mul(f16(data, off)).add(acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
