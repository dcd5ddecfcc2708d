package dev.jemma.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Q8_0: blocks of 32 = f16 scale d, then 32 signed bytes q; value = d·q. */
final class Q8_0Kernel extends BlockKernel {
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F16L = FloatVector.SPECIES_512;

    Q8_0Kernel() {
        super(GGMLType.Q8_0);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long off, float[] out, int outOff) {
        float d = f16(data, off);
        for (int j = 0; j < 32; j++) out[outOff + j] = d * data.get(ValueLayout.JAVA_BYTE, off + 2 + j);
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F16L);
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector q0 = (FloatVector) ByteVector.fromMemorySegment(B16, data, off + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F16L, 0);
            FloatVector q1 = (FloatVector) ByteVector.fromMemorySegment(B16, data, off + 18, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F16L, 0);
            FloatVector s = q0.mul(FloatVector.fromArray(F16L, x, xo)).add(q1.mul(FloatVector.fromArray(F16L, x, xo + 16)));
            acc = s.mul(f16(data, off)).add(acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
