package dev.jemma.bench;

import dev.jemma.tensor.Gemm;
import dev.jemma.tensor.WorkerPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The f32 matrix product of training and the vision tower ({@link Gemm#multiplyAdd}, C[M×N] += A[M×K]·B[K×N],
 * row-major) on the worker pool. Shapes are M×K×N: a training batch through the 270M's MLP (512×640×2048), the
 * vision tower's attention output and MLP (4096×1152×1152, 4096×1152×4304), and one of its heads' P·V
 * (48×4096×80, the narrow kernel). {@code macs} per second × 2 is the FLOPS figure to set against the
 * core's peak (2 FMA pipes × lanes × 2 per cycle).
 */
public class GemmBench extends BenchDefaults {
    @Param({"1", "2"})
    public int threads;
    @Param({"512x640x2048", "4096x1152x1152", "4096x1152x4304", "48x4096x80"})
    public String shape;

    private WorkerPool pool;
    private Gemm gemm;
    private int m, k, n;
    private float[] a, b, c;

    @Setup
    public void open() {
        String[] d = shape.split("x");
        m = Integer.parseInt(d[0]);
        k = Integer.parseInt(d[1]);
        n = Integer.parseInt(d[2]);
        pool = new WorkerPool(threads);
        gemm = new Gemm(pool);
        a = Weights.activations(m * k, 1);
        b = Weights.activations(k * n, 2);
        c = new float[m * n];
    }

    @TearDown
    public void closePool() {
        pool.close();
    }

    @Benchmark
    public float[] multiplyAdd(Traffic t) {
        java.util.Arrays.fill(c, 0f);
        gemm.multiplyAdd(m, k, n, a, 0, k, 1, b, 0, n, c, 0, n);
        t.macs += (long) m * k * n;
        return c;
    }
}
