package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * IEEE binary16 rows. The Vector API has no f16 conversion, so the dot converts in int lanes: normal
 * values are rebiased (exponent + 112), zeros and subnormals are mantissa·2^-24 (no f32 subnormal
 * arithmetic, which can be slow), exponent 31 (Inf/NaN) becomes 255; then the sign is or'ed in. This
 * equals {@link Float#float16ToFloat} bit for bit except for the quiet bit of signalling NaNs (all 65536
 * values are checked by the tests).
 */
final class F16Kernel extends BlockKernel {
    private static final VectorSpecies<Short> S = L == 16 ? ShortVector.SPECIES_256 : ShortVector.SPECIES_128;

    static FloatVector halfs(MemorySegment data, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, data, off, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
        IntVector mag = h.and(0x7FFF), exp = h.and(0x7C00);
        IntVector bits = mag.lanewise(VectorOperators.LSHL, 13).add(112 << 23)                       // normal: rebias
                .blend(fl(mag).mul(0x1p-24f).reinterpretAsInts(), exp.compare(VectorOperators.EQ, 0))   // zero, subnormal
                .blend(mag.lanewise(VectorOperators.LSHL, 13).or(0x7F800000), exp.compare(VectorOperators.EQ, 0x7C00)); // Inf, NaN
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        // a plain loop: C2 vectorizes float16ToFloat here (vcvtph2ps)
        for (int i = 0; i < cols; i++) out[outOff + i] = f16(data, offset + 2L * i);
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= cols; i += L) acc = halfs(data, offset + 2L * i).fma(xv(x, xOff + i), acc);
        FloatVector r0 = acc;
        r0 = r0.add(r0.rearrange(ROT_2));
        r0 = r0.add(r0.rearrange(ROT_4));
        r0 = r0.add(r0.rearrange(ROT_8));
        if (L == 16) r0 = r0.add(r0.rearrange(ROT_16));
        float s = r0.lane(0);
        for (; i < cols; i++) s += f16(data, offset + 2L * i) * x[xOff + i];
        return s;
    }
}
