package dev.jemma.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Per-type kernels over rows stored in a (memory-mapped) segment. A row of {@code cols} elements
 * starts at byte {@code offset}; {@code cols} is a multiple of the type's block size. Activations are f32.
 * Implementations are stateless and thread-safe, and allocate nothing.
 */
public interface RowKernel {
    /** {@link #dotRowsTokens}'s scratch: this many floats per column. */
    int SCRATCH_COLS = 4;

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

    /**
     * The rows of {@link #dotRows} against several tokens: out[outOff + t·outStride + i] = {@link #dot} of row i with
     * x[xOff + t·xStride ..], for i &lt; rows and t &lt; tokens, to the bit the values {@code dot} gives. A pass of a
     * few tokens (draft tokens being verified) thus computes each token as a lone decode step would, while each
     * weight row is read once. Kernels override it to decode each block once for several tokens; this default
     * runs small groups of rows per token, so the rows stay in L1 between tokens. {@code scratch} holds at least
     * {@link #SCRATCH_COLS}·cols floats the kernel may use (a row unpacked once for several tokens).
     */
    default void dotRowsTokens(MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff, int xStride,
                               int tokens, int cols, float[] out, int outOff, int outStride, float[] scratch) {
        for (int r = 0; r < rows; r += 8) {
            int n = Math.min(8, rows - r);
            for (int t = 0; t < tokens; t++) {
                dotRows(data, offset + r * rowBytes, rowBytes, n, x, xOff + t * xStride, cols, out, outOff + t * outStride + r);
            }
        }
    }

    /** Writes the row's {@code cols} values, as f32, to out[outOff..]. */
    void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols);
}
