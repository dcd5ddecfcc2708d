package dev.jemma.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** PLACEHOLDER until the kernel work lands: scalar F32 only. */
public final class RowKernels {
    private RowKernels() {}

    public static RowKernel forType(GGMLType t) {
        if (t != GGMLType.F32) throw new dev.jemma.JemmaException("no kernel for " + t);
        return new RowKernel() {
            public float dot(MemorySegment d, long off, float[] x, int xOff, int cols) {
                float s = 0;
                for (int i = 0; i < cols; i++) s += d.get(ValueLayout.JAVA_FLOAT_UNALIGNED, off + 4L * i) * x[xOff + i];
                return s;
            }
            public void dequantize(MemorySegment d, long off, float[] out, int outOff, int cols) {
                for (int i = 0; i < cols; i++) out[outOff + i] = d.get(ValueLayout.JAVA_FLOAT_UNALIGNED, off + 4L * i);
            }
        };
    }
}
