package dev.jemma.bench;

import dev.jemma.tensor.WeightMatrix;
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
 * One thread, one kernel: every row of a real weight matrix dotted with an f32 vector (the decode path), or
 * dequantized to f32 (the first half of the prefill path). A matrix larger than the caches (the 270M's
 * token_embd, 178 MB) measures the kernel fed from memory; a small one (one layer's projection) measures it
 * fed from cache, i.e. its compute rate.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class KernelBench {
    @Param("")
    public String model;
    @Param("token_embd.weight")
    public String tensor;

    private Weights weights;
    private WeightMatrix w;
    private float[] x;
    private float[] out;
    private float[] row;

    @Setup
    public void open() {
        weights = new Weights(model, tensor);
        w = weights.matrix;
        x = Weights.activations(w.cols, 1);
        out = new float[w.rows];
        row = new float[w.cols];
    }

    @TearDown
    public void close() {
        weights.close();
    }

    @Benchmark
    public float[] dot(Traffic t) {
        for (int r = 0; r < w.rows; r++) out[r] = w.dot(r, x, 0);
        t.weightBytes += weights.bytes();
        t.macs += (long) w.rows * w.cols;
        return out;
    }

    @Benchmark
    public float[] dequantize(Traffic t) {
        for (int r = 0; r < w.rows; r++) w.dequantizeRow(r, row, 0);
        t.weightBytes += weights.bytes();
        t.macs += 0;
        return row;
    }
}
