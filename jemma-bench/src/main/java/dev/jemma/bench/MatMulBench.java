package dev.jemma.bench;

import dev.jemma.tensor.Arithmetic;
import dev.jemma.tensor.MatMul;
import dev.jemma.tensor.Rows;
import dev.jemma.tensor.WorkerPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The engine's matrix product on the worker pool, as the forward pass calls it: {@code tokens} = 1 is a decode
 * step (fused dequantize-and-dot per row), more is a prefill chunk (each row dequantized once, then used for
 * every token: from 8 tokens on through the token tile). {@code invariant} = true runs the batch-invariant
 * product instead, whose arithmetic is the dot-product form at every token count: with many tokens, the
 * token tile's baseline. Reports weight bytes and multiply-adds per second.
 */
public class MatMulBench extends TensorBench {
    @Param({"1", "2"})
    public int threads;
    @Param({"1", "32", "128"})
    public int tokens;
    @Param({"false"})
    public boolean invariant;

    private WorkerPool pool;
    private MatMul matmul;
    private Rows in;
    private Rows out;

    @Setup
    public void open() {
        openTensor();
        pool = new WorkerPool(threads);
        matmul = new MatMul(pool, w.cols);
        in = Rows.packed(Weights.activations(w.cols * tokens, 2), w.cols);
        out = Rows.packed(new float[w.rows * tokens], w.rows);
    }

    @TearDown
    public void closePool() {
        pool.close();
    }

    @Benchmark
    public Rows apply(Traffic t) {
        matmul.apply(w, in, out, tokens, invariant ? Arithmetic.BATCH_INVARIANT : Arithmetic.FAST);
        t.weightBytes += weights.bytes();
        t.macs += (long) w.rows * w.cols * tokens;
        return out;
    }
}
