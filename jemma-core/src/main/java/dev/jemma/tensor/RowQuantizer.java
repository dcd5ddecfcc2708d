package dev.jemma.tensor;

import dev.jemma.quantize.Quantizers;

import java.lang.foreign.MemorySegment;

/**
 * Writes f32 values into a row of a KV-cache storage type: F32, F16 or Q8_0, with ggml's bytes
 * ({@link Quantizers}, which writes these types without allocating).
 */
public final class RowQuantizer {
    private RowQuantizer() {}

    public static boolean supports(GGMLType type) {
        return type == GGMLType.F32 || type == GGMLType.F16 || type == GGMLType.Q8_0;
    }

    /** Quantizes src[srcOff..srcOff+n) into dst at byte offset dstOff; n is a multiple of the block size. */
    public static void quantize(GGMLType type, float[] src, int srcOff, MemorySegment dst, long dstOff, int n) {
        if (!supports(type)) throw new IllegalArgumentException(type + " rows cannot be written; supported: F32, F16, Q8_0");
        Quantizers.quantize(type, src, srcOff, 1, n, null, dst, dstOff);
    }
}
