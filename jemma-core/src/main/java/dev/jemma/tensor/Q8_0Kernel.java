package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Q8_0: blocks of 32 = f16 scale d, then 32 signed bytes q; value = d·q. */
final class Q8_0Kernel extends BlockKernel {
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
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < 32; j += L) {
                s = floats(bytes(data, off + 2 + j)).fma(FloatVector.fromArray(F, x, xo + j), s);
            }
            acc = s.mul(f16(data, off)).add(acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
