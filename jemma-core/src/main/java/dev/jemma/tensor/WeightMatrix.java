package dev.jemma.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A row-major weight matrix in its stored (possibly quantized) form: {@code rows} rows of {@code cols}
 * elements, row r at byte {@code r * rowBytes}. Row r is output neuron r: y[r] = dot(row r, x).
 *
 * <p>For the native kernels a matrix of a type they interleave ({@link NativeKernels#packs}) is repacked once, on
 * its first native product, into off-heap memory freed with the matrix; from then on every native product of it
 * reads that copy, so its results never depend on which call came first. That includes the tied output head, whose
 * rows are also looked up as token embeddings: {@link #dequantizeRow} reads the stored layout, a row or two a step.
 * Where the stored form is a mapping of the file, its pages are handed back to the page cache once the copy exists
 * ({@link MemorySegment#unload}): the process then holds each matrix once, and the few pages a lookup or a Java
 * kernel reads again fault back in from the cache. Thread-safe.
 */
public final class WeightMatrix {
    public final String name;
    public final GGMLType type;
    public final int rows;
    public final int cols;
    public final long rowBytes;
    public final MemorySegment data;
    public final RowKernel kernel;
    private volatile boolean keepLayout;
    private volatile MemorySegment packed;
    /** where {@link #packed} goes when made, if {@link #reservePacked} gave this matrix a place */
    private MemorySegment packedHome;

    public WeightMatrix(String name, GGMLType type, int rows, int cols, MemorySegment data) {
        this.name = name;
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type.rowBytes(cols);
        this.data = data;
        this.kernel = RowKernels.forType(type);
        if (data.byteSize() < Math.multiplyExact(rowBytes, (long) rows)) {
            throw new IllegalArgumentException(name + ": segment too small");
        }
    }

    public float dot(int row, float[] x, int xOff) {
        return kernel.dot(data, row * rowBytes, x, xOff, cols);
    }

    /** out[outOff + i] = dot(row0 + i, x, xOff) for i in [0, n). */
    public void dotRows(int row0, int n, float[] x, int xOff, float[] out, int outOff) {
        kernel.dotRows(data, row0 * rowBytes, rowBytes, n, x, xOff, cols, out, outOff);
    }

    /**
     * out[outOff + t·outStride + i] = dot(row0 + i, x, xOff + t·xStride) for i &lt; n, t &lt; tokens: the same bits;
     * scratch: at least {@link RowKernel#SCRATCH_COLS}·cols floats.
     */
    public void dotRowsTokens(int row0, int n, float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
                              float[] scratch) {
        kernel.dotRowsTokens(data, row0 * rowBytes, rowBytes, n, x, xOff, xStride, tokens, cols, out, outOff, outStride, scratch);
    }

    /**
     * Keeps this matrix in its stored layout for the native kernels, if they have not interleaved it yet (returns
     * whether it now stays stored: once a copy exists its products keep reading it, so that no result depends on
     * which call came first). For the output head of a one-shot run: its interleaved copy, a vocabulary of rows,
     * would be made in the first prompt's time.
     */
    public synchronized boolean keepStoredLayout() {
        if (packed == null) keepLayout = true;
        return keepLayout;
    }

    /** Whether the native kernels take this matrix in their interleaved form. */
    boolean nativePacked() {
        return !keepLayout && NativeKernels.packs(type);
    }

    /**
     * Gives each of these matrices that the native kernels interleave its place in one block of memory, allocated
     * now but written (and so made resident) only by each matrix's first native product: 2 MiB-aligned and advised
     * for huge pages ({@link ZeroedMemory#allocateForStreaming}), which decoding streams faster than 4 KiB pages
     * and whose first writes take a five-hundredth of the page faults. One block, as a block per matrix would round
     * each small matrix up to a huge page.
     */
    public static void reservePacked(java.util.List<WeightMatrix> matrices) {
        java.util.List<WeightMatrix> todo = new java.util.ArrayList<>();
        long total = 0;
        for (WeightMatrix m : matrices) {
            if (m.nativePacked() && m.unplaced()) {
                todo.add(m);
                total += align(NativeKernels.packedBytes(m.type, m.rows, m.cols));
            }
        }
        if (total == 0) return;
        MemorySegment block = ZeroedMemory.allocateForStreaming(Arena.ofAuto(), total);
        long at = 0;
        for (WeightMatrix m : todo) {
            long bytes = NativeKernels.packedBytes(m.type, m.rows, m.cols);
            synchronized (m) {
                if (m.packed == null && m.packedHome == null) m.packedHome = block.asSlice(at, bytes);
            }
            at += align(bytes);
        }
    }

    /** Whether neither the interleaved form nor a place for it exists yet (a matrix two models share gets one). */
    private synchronized boolean unplaced() {
        return packed == null && packedHome == null;
    }

    private static long align(long bytes) {
        return (bytes + 63) & -64L;
    }

    /** The interleaved form, made now if this is the first call (its sixteen-row groups split over the pool's workers). */
    MemorySegment packed(WorkerPool pool) {
        MemorySegment p = packed;
        if (p != null) return p;
        synchronized (this) {
            if (packed == null) {
                if (keepLayout) throw new IllegalStateException(name + " is kept in its stored layout");
                // every byte is written below: no need for zeros (an arena would write them first, serially)
                MemorySegment dst = packedHome != null ? packedHome
                        : ZeroedMemory.allocate(Arena.ofAuto(), NativeKernels.packedBytes(type, rows, cols));
                pool.run((rows + 15) / 16, (worker, g0, g1) -> {
                    // short native calls: each is a critical one, which holds off the garbage collector
                    int step = (int) Math.max(1, (256 << 10) / (16 * rowBytes));
                    for (int g = g0; g < g1; g += step) NativeKernels.repack(this, dst, g, Math.min(g1, g + step));
                });
                packed = dst;
                packedHome = null;
                releaseStoredPages();
            }
            return packed;
        }
    }

    /** The stored form's pages, if it is a mapping of the file: only the rare lookup reads them from now on. */
    private void releaseStoredPages() {
        if (!data.isMapped()) return;
        try {
            data.unload();
        } catch (RuntimeException e) {
            // the file closed under us, or the platform cannot: the pages then simply stay
        }
    }

    public void dequantizeRow(int row, float[] out, int outOff) {
        kernel.dequantize(data, row * rowBytes, out, outOff, cols);
    }
}
