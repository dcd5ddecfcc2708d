package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * Q2_K: super-blocks of 256 = scales[16] (low nibble scale, high nibble min), qs[64] (2-bit), f16 d, f16 dmin.
 * Group g = 8h + 2j + half (16 elements, output 16g..16g+15) takes bits 2j..2j+1 of qs[32h + 16·half + l]
 * and scale byte g; value = d·lo(sc)·q − dmin·hi(sc). The dot is Σ_g (d·lo·Σq·x − dmin·hi·Σx).
 */
final class Q2_KKernel extends BlockKernel {
    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 84L * b;
            float d = f16(data, off + 80), dmin = f16(data, off + 82);
            for (int g = 0; g < 16; g++) {
                int sc = u8s(data, off + g);
                FloatVector dl = bc(d * (sc & 0xF)), ml = bc(dmin * (sc >> 4));
                int shift = 2 * ((g >> 1) & 3);
                long q = off + 16 + 32 * (g >> 3) + 16 * (g & 1);
                int o = outOff + 256 * b + 16 * g;
                for (int l = 0; l < 16; l += L) {
                    dl.mul(fl(u8(data, q + l).lanewise(VectorOperators.LSHR, shift).and(3))).sub(ml).intoArray(out, o + l);
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F), accM = FloatVector.zero(F);
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 84L * b;
            float d = f16(data, off + 80), dmin = f16(data, off + 82);
            for (int g = 0; g < 16; g++) {
                int shift = 2 * ((g >> 1) & 3);
                long q = off + 16 + 32 * (g >> 3) + 16 * (g & 1);
                int xo = xOff + 256 * b + 16 * g;
                FloatVector s = FloatVector.zero(F), xs = FloatVector.zero(F);
                for (int l = 0; l < 16; l += L) {
                    FloatVector xx = xv(x, xo + l);
                    s = fl(u8(data, q + l).lanewise(VectorOperators.LSHR, shift).and(3)).fma(xx, s);
                    xs = xs.add(xx);
                }
                int sc = u8s(data, off + g);
                acc = s.fma(bc(d * (sc & 0xF)), acc);
                accM = xs.fma(bc(dmin * (sc >> 4)), accM);
            }
        }
        FloatVector r0 = acc.sub(accM);
        r0 = r0.add(r0.rearrange(ROT_2));
        r0 = r0.add(r0.rearrange(ROT_4));
        r0 = r0.add(r0.rearrange(ROT_8));
        if (L == 16) r0 = r0.add(r0.rearrange(ROT_16));
        return r0.lane(0);
    }
}
