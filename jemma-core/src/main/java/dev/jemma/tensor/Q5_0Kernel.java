package dev.jemma.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q5_0: blocks of 32 = f16 scale d, 32 high bits qh (u32, bit j belongs to element j), 16 bytes of
 * nibbles (low: 0..15, high: 16..31); value = d·((nibble | bit<<4) − 16).
 */
final class Q5_0Kernel extends BlockKernel {
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F16L = FloatVector.SPECIES_512;

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
        FloatVector acc = FloatVector.zero(F16L);
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 22L * b;
            int xo = xOff + 32 * b;
            int qh = data.get(ValueLayout.JAVA_INT_UNALIGNED, off + 2);
            ByteVector q = ByteVector.fromMemorySegment(B16, data, off + 6, ByteOrder.LITTLE_ENDIAN);
            VectorMask<Byte> hLo = VectorMask.fromLong(B16, qh & 0xFFFFL);
            VectorMask<Byte> hHi = VectorMask.fromLong(B16, (qh >>> 16) & 0xFFFFL);
            ByteVector lo = q.and((byte) 0xF).sub((byte) 16).add((byte) 16, hLo);
            ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 16).add((byte) 16, hHi);
            FloatVector s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F16L, 0)).mul(FloatVector.fromArray(F16L, x, xo))
                    .add(((FloatVector) hi.convertShape(VectorOperators.B2F, F16L, 0)).mul(FloatVector.fromArray(F16L, x, xo + 16)));
            acc = s.mul(f16(data, off)).add(acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
