package dev.jemma.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Per-type kernels over rows stored in a (memory-mapped) segment. A row of {@code cols} elements
 * starts at byte {@code offset}; {@code cols} is a multiple of the type's block size. Activations are f32.
 * Implementations are stateless and thread-safe, and allocate nothing.
 */
public interface RowKernel {
    /** Σ row[i]·x[xOff+i] over i in [0, cols). */
    float dot(MemorySegment data, long offset, float[] x, int xOff, int cols);

    /**
     * The row against four vectors x[xOff + t·xStride ..], t = 0..3, into out[outOff + t·outStride]. Each result
     * is bit-identical to {@link #dot} of that vector (the same operations in the same order), so batched decode
     * gives every sequence exactly what it gets alone; kernels override this to decode each weight block once.
     */
    default void dot4(MemorySegment data, long offset, float[] x, int xOff, int xStride, int cols, float[] out, int outOff, int outStride) {
        for (int t = 0; t < 4; t++) out[outOff + t * outStride] = dot(data, offset, x, xOff + t * xStride, cols);
    }

    /** Writes the row's {@code cols} values, as f32, to out[outOff..]. */
    void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols);
}
