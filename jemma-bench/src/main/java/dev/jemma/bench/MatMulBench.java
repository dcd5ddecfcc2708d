package dev.jemma.bench;

import dev.jemma.tensor.MatMul;
import dev.jemma.tensor.WeightMatrix;
import dev.jemma.tensor.WorkerPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The engine's matrix product on the worker pool, as the forward pass calls it: {@code tokens} = 1 is a decode
 * step (fused dequantize-and-dot per row), more is a prefill chunk (each row dequantized once, then dotted with
 * every token). Reports weight bytes and multiply-adds per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MatMulBench {
    @Param("")
    public String model;
    @Param("token_embd.weight")
    public String tensor;
    @Param({"1", "2"})
    public int threads;
    @Param({"1", "32"})
    public int tokens;

    private Weights weights;
    private WeightMatrix w;
    private WorkerPool pool;
    private MatMul matmul;
    private float[] in;
    private float[] out;

    @Setup
    public void open() {
        weights = new Weights(model, tensor);
        w = weights.matrix;
        pool = new WorkerPool(threads);
        matmul = new MatMul(pool, w.cols);
        in = Weights.activations(w.cols * tokens, 2);
        out = new float[w.rows * tokens];
    }

    @TearDown
    public void close() {
        pool.close();
        weights.close();
    }

    @Benchmark
    public float[] apply(Traffic t) {
        matmul.apply(w, in, w.cols, out, w.rows, tokens);
        t.weightBytes += weights.bytes();
        t.macs += (long) w.rows * w.cols * tokens;
        return out;
    }
}
