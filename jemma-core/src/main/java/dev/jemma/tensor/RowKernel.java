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

    /** Writes the row's {@code cols} values, as f32, to out[outOff..]. */
    void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols);
}
