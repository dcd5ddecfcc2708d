package dev.jemma.tensor;

import java.lang.foreign.MemorySegment;

/** Q2_K: super-blocks of 256 = scales[16] (4-bit scale | 4-bit min), qs[64] (2-bit), f16 d, f16 dmin. */
final class Q2_KKernel extends BlockKernel {
    Q2_KKernel() {
        super(GGMLType.Q2_K);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long off, float[] out, int outOff) {
        float d = f16(data, off + 80), dmin = f16(data, off + 82);
        for (int h = 0; h < 2; h++) {
            long q = off + 16 + 32L * h;
            for (int j = 0; j < 4; j++) {
                int shift = 2 * j;
                for (int half = 0; half < 2; half++) {
                    int sc = u8(data, off + 8 * h + 2 * j + half);
                    float dl = d * (sc & 0xF), ml = dmin * (sc >> 4);
                    int base = outOff + 128 * h + 32 * j + 16 * half;
                    for (int l = 0; l < 16; l++) {
                        out[base + l] = dl * ((u8(data, q + 16 * half + l) >> shift) & 3) - ml;
                    }
                }
            }
        }
    }
}
