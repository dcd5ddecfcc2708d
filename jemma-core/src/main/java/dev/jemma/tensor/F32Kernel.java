package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Plain little-endian f32 rows. */
final class F32Kernel implements RowKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat LE = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(cols); i < bound; i += F.length()) {
            FloatVector w = FloatVector.fromMemorySegment(F, data, offset + 4L * i, ByteOrder.LITTLE_ENDIAN);
            acc = w.fma(FloatVector.fromArray(F, x, xOff + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) s += data.get(LE, offset + 4L * i) * x[xOff + i];
        return s;
    }

    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        MemorySegment.copy(data, LE, offset, out, outOff, cols);
    }
}
