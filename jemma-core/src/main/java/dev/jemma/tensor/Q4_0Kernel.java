package dev.jemma.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q4_0: blocks of 32 = f16 scale d, then 16 bytes; low nibbles are elements 0..15, high nibbles
 * 16..31 (not interleaved); value = d·(nibble − 8).
 */
final class Q4_0Kernel extends BlockKernel {
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F16L = FloatVector.SPECIES_512;

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
        FloatVector acc = FloatVector.zero(F16L);
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 18L * b;
            int xo = xOff + 32 * b;
            ByteVector q = ByteVector.fromMemorySegment(B16, data, off + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = q.and((byte) 0xF).sub((byte) 8);
            ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
            FloatVector s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F16L, 0)).mul(FloatVector.fromArray(F16L, x, xo))
                    .add(((FloatVector) hi.convertShape(VectorOperators.B2F, F16L, 0)).mul(FloatVector.fromArray(F16L, x, xo + 16)));
            acc = s.mul(f16(data, off)).add(acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
