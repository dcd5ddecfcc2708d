package dev.jemma.quantize;

import dev.jemma.tensor.GGMLType;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Runs quantizers on a few synthetic rows in a background thread, so that the JIT has compiled them by the time
 * the model's tensors of those types come up. A one-shot {@code jemma quantize} of a small model otherwise spends
 * most of its time in the Vector API's interpreted paths (the launcher also lowers the compile thresholds of this
 * package and compiles its methods in the foreground: see {@code ./jemma}).
 */
final class QuantizerWarmup {
    /** Rows per call and calls per type: enough for the launcher's thresholds, a few milliseconds once compiled. */
    private static final int ROWS = 4, CALLS = 48, COLUMNS = 256;

    private QuantizerWarmup() {}

    /** Starts the warm-up of {@code types} (in that order) in a daemon thread; returns at once. */
    static void start(List<GGMLType> types, boolean importance) {
        if (types.isEmpty()) return;
        Thread t = new Thread(() -> {
            try {
                run(types, importance);
            } catch (RuntimeException e) {
                // only the warm-up is lost: the quantization itself reports any real problem
            }
        }, "jemma-quantize-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    /** The warm-up itself, in the calling thread. */
    static void run(List<GGMLType> types, boolean importance) {
        SplittableRandom random = new SplittableRandom(3);
        float[] x = new float[ROWS * COLUMNS];
        for (int i = 0; i < x.length; i++) x[i] = (float) (random.nextGaussian() * 0.05);
        float[] w = null;
        if (importance) {
            w = new float[COLUMNS];
            for (int i = 0; i < COLUMNS; i++) w[i] = (float) random.nextDouble(0.1, 2.0);
        }
        for (GGMLType type : types) {
            MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(ROWS * type.rowBytes(COLUMNS))]);
            for (int c = 0; c < CALLS; c++) Quantizers.quantize(type, x, 0, ROWS, COLUMNS, w, out, 0);
            dev.jemma.Trace.mark("quantizer warm: " + type);
        }
    }
}
