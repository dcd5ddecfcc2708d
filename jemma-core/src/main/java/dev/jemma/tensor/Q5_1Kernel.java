package dev.jemma.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Q5_1: blocks of 32 = f16 d, f16 m, u32 high bits, 16 bytes of nibbles; value = d·(nibble | bit<<4) + m. */
final class Q5_1Kernel extends BlockKernel {
    Q5_1Kernel() {
        super(GGMLType.Q5_1);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long off, float[] out, int outOff) {
        float d = f16(data, off), m = f16(data, off + 2);
        int qh = data.get(ValueLayout.JAVA_INT_UNALIGNED, off + 4);
        for (int j = 0; j < 16; j++) {
            int b = u8(data, off + 8 + j);
            out[outOff + j] = ((b & 0xF) | ((qh >>> j) & 1) << 4) * d + m;
            out[outOff + j + 16] = ((b >> 4) | ((qh >>> (j + 16)) & 1) << 4) * d + m;
        }
    }
}
