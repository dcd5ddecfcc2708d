package dev.jemma.quantize;

import dev.jemma.tensor.GGMLType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Writes f32 rows in ggml's storage types with the bytes ggml's own quantizer writes (ggml_quantize_chunk of
 * llama.cpp as pinned by conformance/gen_quantize_fixtures.py), so a file quantized here is the file
 * llama-quantize would have written from the same f32 values and importance matrix.
 */
public final class Quantizers {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private Quantizers() {}

    /** Whether rows of this type can be written. */
    public static boolean supports(GGMLType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Whether an importance matrix changes this type's result (ggml uses it for Q4_0,Q4_1,Q5_0,Q5_1,Q2_K..Q6_K). */
    public static boolean usesImportance(GGMLType type) {
        return switch (type) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Quantizes nrows rows of nPerRow f32 values, src[srcOff + r*nPerRow + i], into dst starting at byte dstOff,
     * exactly as ggml's ggml_quantize_chunk(type, src, dst, 0, nrows, nPerRow, importance) does.
     * importance: null, or nPerRow non-negative weights (an imatrix column vector), used as ggml uses quant_weights.
     * Returns the bytes written (nrows * row size). nPerRow must be a multiple of the block size (IllegalArgumentException otherwise).
     * Thread-safe: keeps no shared mutable state, so the caller may quantize different rows on different threads.
     * F32, F16, BF16 and Q8_0 allocate nothing; the searching types allocate one scratch per call.
     */
    public static long quantize(GGMLType type, float[] src, int srcOff, int nrows, int nPerRow, float[] importance,
                                MemorySegment dst, long dstOff) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        if (!supports(type)) {
            throw new IllegalArgumentException(type + " rows cannot be written; supported: F32, F16, BF16, Q8_0, "
                    + "Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K");
        }
        if (nrows < 0 || nPerRow < 0) {
            throw new IllegalArgumentException("need nrows >= 0 and nPerRow >= 0, got " + nrows + " rows of " + nPerRow);
        }
        if (nPerRow % type.blockSize != 0) {
            throw new IllegalArgumentException(type + " rows must hold a multiple of " + type.blockSize
                    + " values (its block size); nPerRow is " + nPerRow);
        }
        if (importance != null && importance.length != nPerRow) {
            throw new IllegalArgumentException("importance must have one weight per column (" + nPerRow
                    + "), has " + importance.length);
        }
        long values = (long) nrows * nPerRow;
        if (srcOff < 0 || srcOff + values > src.length) {
            throw new IndexOutOfBoundsException(nrows + " rows of " + nPerRow + " from offset " + srcOff
                    + " do not fit in src of length " + src.length);
        }
        long rowBytes = type.rowBytes(nPerRow);
        long total = nrows * rowBytes;
        Objects.checkFromIndexSize(dstOff, total, dst.byteSize());
        if (nrows == 0) return 0;

        switch (type) {
            case F32 -> MemorySegment.copy(src, srcOff, dst, F32, dstOff, (int) values);
            case F16 -> {
                for (long i = 0; i < values; i++) dst.set(I16, dstOff + 2 * i, HalfFloats.toF16(src[srcOff + (int) i]));
            }
            case BF16 -> {
                for (long i = 0; i < values; i++) dst.set(I16, dstOff + 2 * i, HalfFloats.toBf16(src[srcOff + (int) i]));
            }
            // ggml ignores importance for Q8_0
            case Q8_0 -> LegacyQuantizers.q8_0(src, srcOff, (int) values, dst, dstOff);
            default -> {
                float[] qw = importance;
                Workspace ws = new Workspace(Math.toIntExact(rowBytes));
                for (int r = 0; r < nrows; r++) {
                    quantizeRow(type, src, srcOff + r * nPerRow, nPerRow, qw, ws);
                    MemorySegment.copy(ws.row, 0, dst, ValueLayout.JAVA_BYTE, dstOff + r * rowBytes, ws.row.length);
                }
            }
        }
        return total;
    }

    private static void quantizeRow(GGMLType type, float[] x, int xo, int n, float[] qw, Workspace ws) {
        switch (type) {
            case Q4_0 -> LegacyQuantizers.q4_0(x, xo, n, qw, ws);
            case Q4_1 -> LegacyQuantizers.q4_1(x, xo, n, qw, ws);
            case Q5_0 -> LegacyQuantizers.q5_0(x, xo, n, qw, ws);
            case Q5_1 -> LegacyQuantizers.q5_1(x, xo, n, qw, ws);
            case Q2_K -> KQuantizers.q2_K(x, xo, n, qw, ws);
            case Q3_K -> KQuantizers.q3_K(x, xo, n, qw, ws);
            case Q4_K -> KQuantizers.q4_K(x, xo, n, qw, ws);
            case Q5_K -> KQuantizers.q5_K(x, xo, n, qw, ws);
            case Q6_K -> KQuantizers.q6_K(x, xo, n, qw, ws);
            default -> throw new AssertionError(type);
        }
    }
}
