package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** bfloat16 rows: the top 16 bits of an f32. */
final class BF16Kernel extends BlockKernel {
    private static final VectorSpecies<Short> S = L == 16 ? ShortVector.SPECIES_256 : ShortVector.SPECIES_128;

    private static float bf16(MemorySegment data, long off) {
        return Float.intBitsToFloat(data.get(U16, off) << 16);
    }

    private static FloatVector load(MemorySegment data, long off) {
        return ((IntVector) ShortVector.fromMemorySegment(S, data, off, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        int i = 0;
        for (; i + L <= cols; i += L) load(data, offset + 2L * i).intoArray(out, outOff + i);
        for (; i < cols; i++) out[outOff + i] = bf16(data, offset + 2L * i);
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= cols; i += L) acc = load(data, offset + 2L * i).fma(xv(x, xOff + i), acc);
        FloatVector r0 = acc;
        r0 = r0.add(r0.rearrange(ROT_2));
        r0 = r0.add(r0.rearrange(ROT_4));
        r0 = r0.add(r0.rearrange(ROT_8));
        if (L == 16) r0 = r0.add(r0.rearrange(ROT_16));
        float s = r0.lane(0);
        for (; i < cols; i++) s += bf16(data, offset + 2L * i) * x[xOff + i];
        return s;
    }
}
