package dev.jemma.tensor;

import java.lang.foreign.MemorySegment;

/** IEEE binary16 rows. */
final class F16Kernel extends BlockKernel {
    F16Kernel() {
        super(GGMLType.F16);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long off, float[] out, int outOff) {
        out[outOff] = f16(data, off);
    }

    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        for (int i = 0; i < cols; i++) out[outOff + i] = f16(data, offset + 2L * i);
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= cols; i += 4) {
            long o = offset + 2L * i;
            s0 += f16(data, o) * x[xOff + i];
            s1 += f16(data, o + 2) * x[xOff + i + 1];
            s2 += f16(data, o + 4) * x[xOff + i + 2];
            s3 += f16(data, o + 6) * x[xOff + i + 3];
        }
        for (; i < cols; i++) s0 += f16(data, offset + 2L * i) * x[xOff + i];
        return (s0 + s1) + (s2 + s3);
    }
}
