package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * Q5_K: super-blocks of 256 = f16 d, f16 dmin, scales[12] (as Q4_K), qh[32] (5th bits), qs[128] (nibbles).
 * In chunk c, element l's low nibble gets bit 2c of qh[l] as its 5th bit, the high nibble bit 2c+1.
 */
final class Q5_KKernel extends BlockKernel {
    private static IntVector bit4(IntVector h, int bit) {
        return h.lanewise(VectorOperators.LSHR, bit).and(1).lanewise(VectorOperators.LSHL, 4);
    }

    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 176L * b;
            float d = f16(data, off), dmin = f16(data, off + 2);
            long sa = data.get(U64, off + 4);
            int sb = data.get(U32, off + 12);
            for (int c = 0; c < 4; c++) {
                FloatVector d1 = bc(d * k4Scale(sa, sb, 2 * c)), m1 = bc(dmin * k4Min(sa, sb, 2 * c));
                FloatVector d2 = bc(d * k4Scale(sa, sb, 2 * c + 1)), m2 = bc(dmin * k4Min(sa, sb, 2 * c + 1));
                long q = off + 48 + 32L * c;
                int o = outOff + 256 * b + 64 * c;
                for (int l = 0; l < 32; l += L) {
                    IntVector v = u8(data, q + l), h = u8(data, off + 16 + l);
                    d1.mul(fl(v.and(0xF).or(bit4(h, 2 * c)))).sub(m1).intoArray(out, o + l);
                    d2.mul(fl(v.lanewise(VectorOperators.LSHR, 4).or(bit4(h, 2 * c + 1)))).sub(m2).intoArray(out, o + 32 + l);
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F), accM = FloatVector.zero(F);
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 176L * b;
            float d = f16(data, off), dmin = f16(data, off + 2);
            long sa = data.get(U64, off + 4);
            int sb = data.get(U32, off + 12);
            for (int c = 0; c < 4; c++) {
                int xo = xOff + 256 * b + 64 * c;
                long q = off + 48 + 32L * c;
                FloatVector lo = FloatVector.zero(F), hi = FloatVector.zero(F);
                FloatVector xs1 = FloatVector.zero(F), xs2 = FloatVector.zero(F);
                for (int l = 0; l < 32; l += L) {
                    IntVector v = u8(data, q + l), h = u8(data, off + 16 + l);
                    FloatVector x1 = xv(x, xo + l), x2 = xv(x, xo + 32 + l);
                    lo = fl(v.and(0xF).or(bit4(h, 2 * c))).fma(x1, lo);
                    hi = fl(v.lanewise(VectorOperators.LSHR, 4).or(bit4(h, 2 * c + 1))).fma(x2, hi);
                    xs1 = xs1.add(x1);
                    xs2 = xs2.add(x2);
                }
                acc = lo.fma(bc(d * k4Scale(sa, sb, 2 * c)), acc);
                acc = hi.fma(bc(d * k4Scale(sa, sb, 2 * c + 1)), acc);
                accM = xs1.fma(bc(dmin * k4Min(sa, sb, 2 * c)), accM);
                accM = xs2.fma(bc(dmin * k4Min(sa, sb, 2 * c + 1)), accM);
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
