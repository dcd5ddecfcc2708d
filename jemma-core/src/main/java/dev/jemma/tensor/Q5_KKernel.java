package dev.jemma.tensor;

import java.lang.foreign.MemorySegment;

/** Q5_K: super-blocks of 256 = f16 d, f16 dmin, scales[12] (as Q4_K), qh[32] (5th bits), qs[128] (nibbles). */
final class Q5_KKernel extends BlockKernel {
    Q5_KKernel() {
        super(GGMLType.Q5_K);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long off, float[] out, int outOff) {
        float d = f16(data, off), dmin = f16(data, off + 2);
        for (int c = 0; c < 4; c++) {
            float d1 = d * scaleMinK4(data, off + 4, 2 * c, false), m1 = dmin * scaleMinK4(data, off + 4, 2 * c, true);
            float d2 = d * scaleMinK4(data, off + 4, 2 * c + 1, false), m2 = dmin * scaleMinK4(data, off + 4, 2 * c + 1, true);
            long q = off + 48 + 32L * c;
            for (int l = 0; l < 32; l++) {
                int b = u8(data, q + l), h = u8(data, off + 16 + l);
                out[outOff + 64 * c + l] = d1 * ((b & 0xF) | ((h >> (2 * c)) & 1) << 4) - m1;
                out[outOff + 64 * c + 32 + l] = d2 * ((b >> 4) | ((h >> (2 * c + 1)) & 1) << 4) - m2;
            }
        }
    }
}
