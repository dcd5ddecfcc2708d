package dev.jemma.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K: super-blocks of 256 = f16 d, f16 dmin, scales[12] (eight 6-bit scales and mins), qs[128].
 * Chunk c of 32 bytes holds elements 64c..64c+31 (low nibbles, sub-block 2c) and 64c+32..64c+63
 * (high nibbles, sub-block 2c+1); value = d·scale·q − dmin·min.
 */
final class Q4_KKernel extends BlockKernel {
    Q4_KKernel() {
        super(GGMLType.Q4_K);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long off, float[] out, int outOff) {
        float d = f16(data, off), dmin = f16(data, off + 2);
        for (int c = 0; c < 4; c++) {
            float d1 = d * scaleMinK4(data, off + 4, 2 * c, false), m1 = dmin * scaleMinK4(data, off + 4, 2 * c, true);
            float d2 = d * scaleMinK4(data, off + 4, 2 * c + 1, false), m2 = dmin * scaleMinK4(data, off + 4, 2 * c + 1, true);
            long q = off + 16 + 32L * c;
            for (int l = 0; l < 32; l++) {
                int b = u8(data, q + l);
                out[outOff + 64 * c + l] = d1 * (b & 0xF) - m1;
                out[outOff + 64 * c + 32 + l] = d2 * (b >> 4) - m2;
            }
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F);
        FloatVector accMin = FloatVector.zero(F);
        for (int b = 0, n = cols / 256; b < n; b++) {
            long off = offset + 144L * b;
            float d = f16(data, off), dmin = f16(data, off + 2);
            for (int c = 0; c < 4; c++) {
                int xo = xOff + 256 * b + 64 * c;
                long q = off + 16 + 32L * c;
                FloatVector lo = FloatVector.zero(F), hi = FloatVector.zero(F);
                FloatVector xsLo = FloatVector.zero(F), xsHi = FloatVector.zero(F);
                for (int j = 0; j < 32; j += L) {
                    ByteVector v = bytes(data, q + j);
                    FloatVector x1 = FloatVector.fromArray(F, x, xo + j);
                    FloatVector x2 = FloatVector.fromArray(F, x, xo + 32 + j);
                    lo = floats(v.and((byte) 0xF)).fma(x1, lo);
                    hi = floats(v.lanewise(VectorOperators.LSHR, 4)).fma(x2, hi);
                    xsLo = xsLo.add(x1);
                    xsHi = xsHi.add(x2);
                }
                acc = lo.mul(d * scaleMinK4(data, off + 4, 2 * c, false)).add(acc);
                acc = hi.mul(d * scaleMinK4(data, off + 4, 2 * c + 1, false)).add(acc);
                accMin = xsLo.mul(dmin * scaleMinK4(data, off + 4, 2 * c, true)).add(accMin);
                accMin = xsHi.mul(dmin * scaleMinK4(data, off + 4, 2 * c + 1, true)).add(accMin);
            }
        }
        return acc.sub(accMin).reduceLanes(VectorOperators.ADD);
    }
}
