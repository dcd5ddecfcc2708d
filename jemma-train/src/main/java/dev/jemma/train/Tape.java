package dev.jemma.train;

import dev.jemma.model.ActivationRecorder;
import dev.jemma.model.GemmaConfig;
import dev.jemma.tensor.Rows;

/**
 * The forward pass's intermediate values for one micro-batch, recorded through the core's
 * {@link ActivationRecorder} for the backward pass: per layer and stage, rows × width floats, packed. Sized
 * for the largest micro-batch and reused, so steps allocate nothing here.
 */
final class Tape implements ActivationRecorder {
    private static final Stage[] STAGES = Stage.values();

    private final GemmaConfig c;
    private final int capacity;
    /** [layer][stage], packed rows; the output stage lives in {@link #outputHidden} */
    private final float[][][] values;
    final float[] outputHidden;

    Tape(GemmaConfig c, int capacity) {
        this.c = c;
        this.capacity = capacity;
        values = new float[c.layers()][STAGES.length][];
        for (int l = 0; l < c.layers(); l++) {
            for (Stage s : STAGES) {
                if (s != Stage.OUTPUT_HIDDEN) values[l][s.ordinal()] = new float[capacity * width(c, s)];
            }
        }
        outputHidden = new float[capacity * c.hidden()];
    }

    static int width(GemmaConfig c, Stage s) {
        return switch (s) {
            case Q, ATTENTION_OUTPUT -> c.qDim();
            case K, V -> c.kvDim();
            case GATE, UP, FFN_ACTIVATION -> c.ffn();
            default -> c.hidden();
        };
    }

    /** Bytes of the recorded values for {@code rows} rows of a model: the micro-batch's activation memory. */
    static long bytes(GemmaConfig c, int rows) {
        long perRow = c.hidden();
        for (Stage s : STAGES) if (s != Stage.OUTPUT_HIDDEN) perRow += (long) c.layers() * width(c, s);
        return 4L * perRow * rows;
    }

    float[] get(int layer, Stage stage) {
        return stage == Stage.OUTPUT_HIDDEN ? outputHidden : values[layer][stage.ordinal()];
    }

    @Override
    public void record(int layer, Stage stage, Rows src, int n, int width) {
        if (n > capacity) throw new IllegalStateException(n + " rows exceed the tape's " + capacity);
        float[] dst = get(layer, stage);
        for (int t = 0; t < n; t++) System.arraycopy(src.data(), src.start(t), dst, t * width, width);
    }
}
