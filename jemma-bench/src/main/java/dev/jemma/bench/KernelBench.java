package dev.jemma.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * One thread, one kernel: every row of a real weight matrix dotted with an f32 vector (the decode path), or
 * dequantized to f32 (the first half of the prefill path). A matrix larger than the caches (the 270M's
 * token_embd, 178 MB) measures the kernel fed from memory; a small one (one layer's projection) measures it
 * fed from cache, i.e. its compute rate.
 */
public class KernelBench extends TensorBench {
    private float[] x;
    private float[] out;
    private float[] row;

    @Setup
    public void open() {
        openTensor();
        x = Weights.activations(w.cols, 1);
        out = new float[w.rows];
        row = new float[w.cols];
    }

    @Benchmark
    public float[] dot(Traffic t) {
        for (int r = 0; r < w.rows; r++) out[r] = w.dot(r, x, 0);
        t.weightBytes += weights.bytes();
        t.macs += (long) w.rows * w.cols;
        return out;
    }

    @Benchmark
    public float[] dotRows(Traffic t) {
        w.dotRows(0, w.rows, x, 0, out, 0);
        t.weightBytes += weights.bytes();
        t.macs += (long) w.rows * w.cols;
        return out;
    }

    @Benchmark
    public float[] dequantize(Traffic t) {
        for (int r = 0; r < w.rows; r++) w.dequantizeRow(r, row, 0);
        t.weightBytes += weights.bytes();
        return row;
    }
}
