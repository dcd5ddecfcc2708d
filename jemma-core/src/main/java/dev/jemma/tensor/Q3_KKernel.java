package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * Q3_K: super-blocks of 256 = hmask[32] (high bit, inverted: clear means −4), qs[64] (low 2 bits),
 * scales[12] (16 signed 6-bit scales), f16 d. Group i = 8h + 2j + half (16 elements, output 16i..16i+15)
 * takes bits 2j..2j+1 of qs[32h + l] and bit 4h+j of hmask[l], l = 16·half + 0..15; value = d·(sc_i − 32)·(q − 4 + 4·bit).
 */
final class Q3_KKernel extends BlockKernel {
    private static int scale(long a, int b, int i) {
        int low4 = (int) (a >>> (8 * (i & 7) + (i < 8 ? 0 : 4))) & 0xF;
        int high2 = (b >>> (8 * (i & 3) + 2 * (i >> 2))) & 3;
        return (low4 | high2 << 4) - 32;
    }

    private static IntVector quants(MemorySegment data, long off, int i, int l) {
        int h = i >> 3, j = (i >> 1) & 3;
        IntVector q = u8(data, off + 32 + 32 * h + l).lanewise(VectorOperators.LSHR, 2 * j).and(3);
        IntVector hb = u8(data, off + l).lanewise(VectorOperators.LSHR, 4 * h + j).and(1).lanewise(VectorOperators.LSHL, 2);
        return q.or(hb).sub(4);
    }

    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 110L * b;
            float d = f16(data, off + 108);
            long sa = data.get(U64, off + 96);
            int sb = data.get(U32, off + 104);
            for (int i = 0; i < 16; i++) {
                FloatVector dl = bc(d * scale(sa, sb, i));
                int o = outOff + 256 * b + 16 * i;
                for (int l = 0; l < 16; l += L) dl.mul(fl(quants(data, off, i, 16 * (i & 1) + l))).intoArray(out, o + l);
            }
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 110L * b;
            float d = f16(data, off + 108);
            long sa = data.get(U64, off + 96);
            int sb = data.get(U32, off + 104);
            for (int i = 0; i < 16; i++) {
                int xo = xOff + 256 * b + 16 * i;
                FloatVector s = FloatVector.zero(F);
                for (int l = 0; l < 16; l += L) s = fl(quants(data, off, i, 16 * (i & 1) + l)).fma(xv(x, xo + l), s);
                acc = s.fma(bc(d * scale(sa, sb, i)), acc);
            }
        }
        FloatVector r0 = acc;
        r0 = r0.add(r0.rearrange(ROT_2));
        r0 = r0.add(r0.rearrange(ROT_4));
        r0 = r0.add(r0.rearrange(ROT_8));
        if (L == 16) r0 = r0.add(r0.rearrange(ROT_16));
        return r0.lane(0);
    }
}
