package dev.jemma.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Writes f32 values into a row of a storage type: F32, F16 (round to nearest even) and Q8_0 (as
 * ggml's reference quantizer: d = max|x|/127 stored as f16, q = round-half-away(x/d)). Allocates nothing.
 */
public final class RowQuantizer {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private RowQuantizer() {}

    public static boolean supports(GGMLType type) {
        return type == GGMLType.F32 || type == GGMLType.F16 || type == GGMLType.Q8_0;
    }

    /** Quantizes src[srcOff..srcOff+n) into dst at byte offset dstOff; n is a multiple of the block size. */
    public static void quantize(GGMLType type, float[] src, int srcOff, MemorySegment dst, long dstOff, int n) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, srcOff, dst, F32, dstOff, n);
            case F16 -> {
                for (int i = 0; i < n; i++) dst.set(F16, dstOff + 2L * i, Float.floatToFloat16(src[srcOff + i]));
            }
            case Q8_0 -> {
                if (n % 32 != 0) throw new IllegalArgumentException(n + " is not a multiple of 32");
                for (int b = 0; b < n / 32; b++) {
                    int o = srcOff + 32 * b;
                    long d0 = dstOff + 34L * b;
                    float amax = 0;
                    for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(src[o + i]));
                    float d = amax / 127f;
                    float id = d != 0 ? 1f / d : 0f;
                    dst.set(F16, d0, Float.floatToFloat16(d));
                    for (int i = 0; i < 32; i++) {
                        float v = src[o + i] * id;
                        dst.set(ValueLayout.JAVA_BYTE, d0 + 2 + i, (byte) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v));
                    }
                }
            }
            default -> throw new IllegalArgumentException(type + " rows cannot be written; supported: F32, F16, Q8_0");
        }
    }
}
