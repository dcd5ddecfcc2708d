package dev.jemma.model;

import dev.jemma.tensor.GGMLType;
import dev.jemma.tensor.Kernels;
import dev.jemma.tensor.NativeKernels;
import dev.jemma.tensor.MatMul;
import dev.jemma.tensor.RowKernel;
import dev.jemma.tensor.WeightMatrix;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs each weight type's kernels on a background thread while the tokenizer is built, so the JIT has compiled
 * them before the first prompt token (otherwise the first prefill runs the Vector API code interpreted, at a
 * few tokens per second). Load-time only; it stops when asked or after a fixed number of calls, and gives up
 * silently if the model is closed under it.
 */
final class KernelWarmup implements Runnable {
    private static final int CALLS_PER_TYPE = 12_000;

    private final WeightMatrix[] matrices;
    private volatile boolean stop;
    private final Thread thread;

    private KernelWarmup(WeightMatrix[] matrices) {
        this.matrices = matrices;
        thread = new Thread(this, "jemma-kernel-warmup");
        thread.setDaemon(true);
    }

    /**
     * Starts warming up unless {@code -Djemma.warmup=false}; returns a handle to stop it, or null. On the native
     * kernels only the types they do not cover are warmed: the others need no JIT for decode and short prompts, and
     * a warm-up thread would only compete with loading for the cores (first token of a 20-token prompt after
     * launch: 1.43 s without it, 1.75 s with it).
     */
    static KernelWarmup start(GemmaWeights w, Kernels kernels) {
        if (!Boolean.parseBoolean(System.getProperty("jemma.warmup", "true"))) return null;
        Map<GGMLType, WeightMatrix> byType = new LinkedHashMap<>();
        byType.put(w.output.type, w.output);
        for (WeightMatrix m : w.layerMatrices()) byType.putIfAbsent(m.type, m);
        if (kernels == Kernels.NATIVE) byType.keySet().removeIf(NativeKernels::supports);
        if (byType.isEmpty()) return null;
        KernelWarmup k = new KernelWarmup(byType.values().toArray(new WeightMatrix[0]));
        k.thread.start();
        return k;
    }

    void stop() {
        stop = true;
    }

    @Override
    public void run() {
        try {
            int maxCols = 0;
            for (WeightMatrix m : matrices) maxCols = Math.max(maxCols, m.cols);
            float[] x = new float[maxCols];
            float[] row = new float[maxCols];
            for (int i = 0; i < maxCols; i++) x[i] = (i % 7 - 3) * 0.01f;
            float[] outs = new float[8];
            float[] x7 = new float[7 * maxCols], outs7 = new float[7 * 2], scratch = new float[RowKernel.SCRATCH_COLS * maxCols];
            for (int i = 0; i < x7.length; i++) x7[i] = (i % 11 - 5) * 0.01f;
            float[] tileRows = new float[MatMul.TILE_ROWS * maxCols], xT = new float[16 * maxCols], acc = new float[16 * MatMul.TILE_ROWS];
            float sink = 0;
            for (int i = 0; i < CALLS_PER_TYPE && !stop; i++) {
                for (WeightMatrix m : matrices) {
                    int r = i % Math.min(m.rows, 64);
                    sink += m.dot(r, x, 0);
                    if ((i & 1) == 0 && m.rows >= r + 8) { // decode runs rows in groups (dotRows): warm that path too
                        m.dotRows(r, 8, x, 0, outs, 0);
                        sink += outs[7];
                    }
                    if ((i & 7) == 2 && m.rows >= r + 2) { // verification of drafts: every token group size
                        m.dotRowsTokens(r, 2, x7, 0, m.cols, 7, outs7, 0, 2, scratch);
                        sink += outs7[13];
                    }
                    if ((i & 3) == 0) {
                        m.dequantizeRow(r, row, 0);
                        sink += MatMul.dot(row, x, 0, m.cols);
                    }
                    if ((i & 15) == 0) sink += MatMul.warmUpTile(tileRows, x, xT, acc, m.cols); // prefill of 8+ tokens
                }
            }
            if (sink == 42.4242f) System.err.print(""); // keeps the calls from being optimized away
        } catch (RuntimeException | Error e) {
            // the model was closed during loading, or anything else: warm-up is only an optimization
        }
    }
}
