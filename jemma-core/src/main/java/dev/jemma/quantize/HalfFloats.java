package dev.jemma.quantize;

/**
 * The 16-bit float conversions ggml uses when it writes rows and block scales (ggml-impl.h).
 * For every non-NaN float ggml's bit trick rounds to nearest even, as {@link Float#floatToFloat16} does (an
 * intrinsic); only NaN differs: ggml writes the sign and 0x7E00, dropping the payload.
 */
final class HalfFloats {
    private HalfFloats() {}

    static short toF16(float f) {
        if (f != f) return (short) ((Float.floatToRawIntBits(f) >>> 16 & 0x8000) | 0x7E00);
        return Float.floatToFloat16(f);
    }

    /** f16 to f32 is exact both ways, so the JDK's conversion reads back what ggml reads back. */
    static float fromF16(short h) {
        return Float.float16ToFloat(h);
    }

    /** bf16: ggml's rounding (nearest even by an integer add, NaN kept quiet) is the GGUF writer's. */
    static short toBf16(float f) {
        return dev.jemma.gguf.GGUFWriter.toBF16(f);
    }
}
