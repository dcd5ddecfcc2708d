package dev.jemma.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A row-major weight matrix in its stored (possibly quantized) form: {@code rows} rows of {@code cols}
 * elements, row r at byte {@code r * rowBytes}. Row r is output neuron r: y[r] = dot(row r, x).
 */
public final class WeightMatrix {
    public final String name;
    public final GGMLType type;
    public final int rows;
    public final int cols;
    public final long rowBytes;
    public final MemorySegment data;
    public final RowKernel kernel;

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

    public void dequantizeRow(int row, float[] out, int outOff) {
        kernel.dequantize(data, row * rowBytes, out, outOff, cols);
    }
}
