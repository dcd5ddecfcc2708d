package dev.jemma.tensor;

import java.lang.foreign.MemorySegment;

/** Q4_1: blocks of 32 = f16 scale d, f16 min m, 16 bytes of nibbles (low: 0..15, high: 16..31); value = d·q + m. */
final class Q4_1Kernel extends BlockKernel {
    Q4_1Kernel() {
        super(GGMLType.Q4_1);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long off, float[] out, int outOff) {
        float d = f16(data, off), m = f16(data, off + 2);
        for (int j = 0; j < 16; j++) {
            int b = u8(data, off + 4 + j);
            out[outOff + j] = (b & 0xF) * d + m;
            out[outOff + j + 16] = (b >> 4) * d + m;
        }
    }
}
