package dev.jemma.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q6_K: super-blocks of 256 = ql[128] (low 4 bits), qh[64] (high 2 bits), scales int8[16], f16 d.
 * Each half of 128 elements uses 64 ql bytes, 32 qh bytes and 8 scales; value = d·scale·(q − 32).
 */
final class Q6_KKernel extends BlockKernel {
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F16L = FloatVector.SPECIES_512;

    Q6_KKernel() {
        super(GGMLType.Q6_K);
    }

    private static int scale(MemorySegment data, long off) {
        return data.get(ValueLayout.JAVA_BYTE, off);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long off, float[] out, int outOff) {
        float d = f16(data, off + 208);
        for (int h = 0; h < 2; h++) {
            long ql = off + 64L * h, qh = off + 128 + 32L * h, sc = off + 192 + 8L * h;
            int base = outOff + 128 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int a = u8(data, ql + l), b = u8(data, ql + l + 32), hb = u8(data, qh + l);
                out[base + l] = d * scale(data, sc + is) * (((a & 0xF) | (hb & 3) << 4) - 32);
                out[base + l + 32] = d * scale(data, sc + is + 2) * (((b & 0xF) | ((hb >> 2) & 3) << 4) - 32);
                out[base + l + 64] = d * scale(data, sc + is + 4) * (((a >> 4) | ((hb >> 4) & 3) << 4) - 32);
                out[base + l + 96] = d * scale(data, sc + is + 6) * (((b >> 4) | ((hb >> 6) & 3) << 4) - 32);
            }
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F16L);
        for (int blk = 0, n = cols / 256; blk < n; blk++) {
            long off = offset + 210L * blk;
            float d = f16(data, off + 208);
            for (int h = 0; h < 2; h++) {
                long ql = off + 64L * h, qh = off + 128 + 32L * h, sc = off + 192 + 8L * h;
                int xo = xOff + 256 * blk + 128 * h;
                for (int is = 0; is < 2; is++) { // elements l = 16·is .. 16·is + 15 of each quarter
                    ByteVector a = ByteVector.fromMemorySegment(B16, data, ql + 16 * is, ByteOrder.LITTLE_ENDIAN);
                    ByteVector b = ByteVector.fromMemorySegment(B16, data, ql + 32 + 16 * is, ByteOrder.LITTLE_ENDIAN);
                    ByteVector hb = ByteVector.fromMemorySegment(B16, data, qh + 16 * is, ByteOrder.LITTLE_ENDIAN);
                    ByteVector q1 = a.and((byte) 0xF).or(hb.and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    ByteVector q2 = b.and((byte) 0xF).or(hb.lanewise(VectorOperators.LSHR, 2).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    ByteVector q3 = a.lanewise(VectorOperators.LSHR, 4).or(hb.lanewise(VectorOperators.LSHR, 4).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    ByteVector q4 = b.lanewise(VectorOperators.LSHR, 4).or(hb.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    int l0 = 16 * is;
                    acc = term(q1, x, xo + l0).mul(d * scale(data, sc + is)).add(acc);
                    acc = term(q2, x, xo + l0 + 32).mul(d * scale(data, sc + is + 2)).add(acc);
                    acc = term(q3, x, xo + l0 + 64).mul(d * scale(data, sc + is + 4)).add(acc);
                    acc = term(q4, x, xo + l0 + 96).mul(d * scale(data, sc + is + 6)).add(acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static FloatVector term(ByteVector q, float[] x, int xo) {
        return ((FloatVector) q.convertShape(VectorOperators.B2F, F16L, 0)).mul(FloatVector.fromArray(F16L, x, xo));
    }
}
