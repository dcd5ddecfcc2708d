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
     * out[outOff + i] = {@link #dot} of the row at {@code offset + i·rowBytes}, for i in [0, rows): exactly the
     * values {@code dot} gives. Kernels override it to run the rows in their own loop (so the per-row call is
     * not a megamorphic dispatch) and two rows at a time (sharing the activation loads).
     */
    default void dotRows(MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff, int cols,
                         float[] out, int outOff) {
        for (int i = 0; i < rows; i++) out[outOff + i] = dot(data, offset + i * rowBytes, x, xOff, cols);
    }

    /** Writes the row's {@code cols} values, as f32, to out[outOff..]. */
    void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols);
}
