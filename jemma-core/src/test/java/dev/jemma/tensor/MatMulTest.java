package dev.jemma.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pooled product against the kernels one row and one token at a time, on matrices built from the quantization
 * fixtures: an odd row count larger than a prefill panel, 1 to 35 tokens, one and two threads, every arithmetic.
 * The decode path (up to four FAST tokens, every DECODE token) must give the kernel's dot; the token tile exactly the fused
 * multiply-add chain over the dequantized row; every other path the f32 dot of the dequantized row; all to the bit,
 * whatever the thread split, the panel and the grouping of rows and tokens, interpreted or compiled.
 */
class MatMulTest {
    private static final int ROWS = 71;

    /** The token tile's arithmetic: one fused multiply-add chain over the columns, in order, from zero. */
    private static float fmaChain(float[] row, float[] in, int off, int cols) {
        float s = 0f;
        for (int k = 0; k < cols; k++) s = Math.fma(row[k], in[off + k], s);
        return s;
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q8_0", "Q4_0", "Q5_0", "Q4_K", "Q6_K"})
    void everyPathMatchesTheKernels(GGMLType type) throws IOException {
        byte[] raw = Files.readAllBytes(QuantFixtures.dir().resolve(type.name() + ".bin"));
        int cols = QuantFixtures.COLS;
        long rowBytes = type.rowBytes(cols);
        byte[] many = new byte[(int) (ROWS * rowBytes)];
        for (int r = 0; r < ROWS; r++) {
            System.arraycopy(raw, (int) ((r * 7 % QuantFixtures.ROWS) * rowBytes), many, (int) (r * rowBytes), (int) rowBytes);
        }
        WeightMatrix w = new WeightMatrix("m", type, ROWS, cols, MemorySegment.ofArray(many));
        Random rnd = new Random(7);
        int maxTokens = 2 * 16 + 3; // the token tile: a full block, a partial one
        float[] in = new float[maxTokens * cols + 3];
        for (int i = 0; i < in.length; i++) in[i] = (float) rnd.nextGaussian();
        float[] row = new float[cols];
        for (int threads = 1; threads <= 2; threads++) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                MatMul mm = new MatMul(pool, cols);
                for (int tokens = 1; tokens <= maxTokens; tokens++) {
                    for (Arithmetic a : Arithmetic.values()) {
                        float[] out = new float[tokens * (ROWS + 1) + 2];
                        mm.apply(w, Rows.of(in, 3, cols), Rows.of(out, 2, ROWS + 1), tokens, a);
                        boolean fused = a == Arithmetic.DECODE || (a == Arithmetic.FAST && tokens <= MatMul.FUSED_MAX_TOKENS);
                        boolean tile = a == Arithmetic.FAST && tokens >= MatMul.TILE_MIN_TOKENS;
                        for (int r = 0; r < ROWS; r++) {
                            w.dequantizeRow(r, row, 0);
                            for (int t = 0; t < tokens; t++) {
                                float expected = fused ? w.dot(r, in, 3 + t * cols)
                                        : tile ? fmaChain(row, in, 3 + t * cols, cols)
                                        : MatMul.dot(row, in, 3 + t * cols, cols);
                                float got = out[2 + t * (ROWS + 1) + r];
                                if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(expected)) {
                                    fail(type + " threads " + threads + " tokens " + tokens + " " + a + " row " + r
                                            + " token " + t + ": " + got + " != " + expected);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
