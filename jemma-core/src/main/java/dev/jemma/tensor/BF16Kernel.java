package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** bfloat16 rows: the top 16 bits of an f32. */
final class BF16Kernel extends BlockKernel {
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    BF16Kernel() {
        super(GGMLType.BF16);
    }

    private static float bf16(MemorySegment data, long off) {
        return Float.intBitsToFloat(data.get(F16, off) << 16);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long off, float[] out, int outOff) {
        out[outOff] = bf16(data, off);
    }

    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        for (int i = 0; i < cols; i++) out[outOff + i] = bf16(data, offset + 2L * i);
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= cols; i += L) {
            ShortVector s = ShortVector.fromMemorySegment(S, data, offset + 2L * i, ByteOrder.LITTLE_ENDIAN);
            IntVector bits = (IntVector) s.castShape(I, 0);
            FloatVector w = bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc = w.fma(FloatVector.fromArray(F, x, xOff + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) s += bf16(data, offset + 2L * i) * x[xOff + i];
        return s;
    }
}
