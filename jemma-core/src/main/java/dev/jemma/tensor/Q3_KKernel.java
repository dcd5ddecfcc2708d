package dev.jemma.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q3_K: super-blocks of 256 = hmask[32] (high bit, inverted: clear means −4), qs[64] (low 2 bits),
 * scales[12] (16 signed 6-bit scales), f16 d.
 */
final class Q3_KKernel extends BlockKernel {
    Q3_KKernel() {
        super(GGMLType.Q3_K);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long off, float[] out, int outOff) {
        float d = f16(data, off + 108);
        long scales = off + 96;
        for (int h = 0; h < 2; h++) {
            long q = off + 32 + 32L * h;
            for (int j = 0; j < 4; j++) {
                int shift = 2 * j;
                int mask = 1 << (4 * h + j);
                for (int half = 0; half < 2; half++) {
                    int i = 8 * h + 2 * j + half;
                    int low4 = i < 8 ? u8(data, scales + i) & 0xF : u8(data, scales + i - 8) >> 4;
                    int high2 = (u8(data, scales + 8 + i % 4) >> (2 * (i / 4))) & 3;
                    float dl = d * ((low4 | high2 << 4) - 32);
                    int base = outOff + 128 * h + 32 * j;
                    for (int l = 16 * half; l < 16 * half + 16; l++) {
                        int v = ((u8(data, q + l) >> shift) & 3) - ((u8(data, off + l) & mask) != 0 ? 0 : 4);
                        out[base + l] = dl * v;
                    }
                }
            }
        }
    }
}
