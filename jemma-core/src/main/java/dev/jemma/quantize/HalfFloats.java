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

    /** bf16: the top half of the f32 rounded to nearest even by an integer add; NaN kept NaN (quiet bit set). */
    static short toBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }
}
