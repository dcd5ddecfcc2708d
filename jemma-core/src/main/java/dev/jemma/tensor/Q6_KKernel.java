package dev.jemma.tensor;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q6_K: super-blocks of 256 = ql[128] (low 4 bits), qh[64] (high 2 bits), scales int8[16], f16 d.
 * Each half of 128 elements uses 64 ql bytes, 32 qh bytes and 8 scales; value = d·scale·(q − 32).
 */
final class Q6_KKernel extends BlockKernel {
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
        FloatVector acc = FloatVector.zero(F);
        for (int blk = 0, n = cols / 256; blk < n; blk++) {
            long off = offset + 210L * blk;
            float d = f16(data, off + 208);
            for (int h = 0; h < 2; h++) {
                long ql = off + 64L * h, qh = off + 128 + 32L * h, sc = off + 192 + 8L * h;
                int xo = xOff + 256 * blk + 128 * h;
                for (int l = 0; l < 32; l += L) { // L ≤ 16, so a group never straddles the scale change at 16
                    int is = l / 16;
                    // widened to ints: x86 has no byte shifts, so byte-lane shifts would not be intrinsified
                    IntVector a = ints(data, ql + l);
                    IntVector b = ints(data, ql + 32 + l);
                    IntVector hb = ints(data, qh + l);
                    IntVector q1 = a.and(0xF).or(hb.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q2 = b.and(0xF).or(hb.lanewise(VectorOperators.LSHR, 2).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q3 = a.lanewise(VectorOperators.LSHR, 4).or(hb.lanewise(VectorOperators.LSHR, 4).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q4 = b.lanewise(VectorOperators.LSHR, 4).or(hb.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    acc = floats(q1).mul(FloatVector.fromArray(F, x, xo + l)).mul(d * scale(data, sc + is)).add(acc);
                    acc = floats(q2).mul(FloatVector.fromArray(F, x, xo + l + 32)).mul(d * scale(data, sc + is + 2)).add(acc);
                    acc = floats(q3).mul(FloatVector.fromArray(F, x, xo + l + 64)).mul(d * scale(data, sc + is + 4)).add(acc);
                    acc = floats(q4).mul(FloatVector.fromArray(F, x, xo + l + 96)).mul(d * scale(data, sc + is + 6)).add(acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
