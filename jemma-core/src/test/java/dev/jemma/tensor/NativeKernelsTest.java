package dev.jemma.tensor;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The native kernels against Java, on random blocks of every type they cover:
 * <ul>
 * <li>activation quantization (Q8_0, Q8_K) bit for bit against the Java statement of llama.cpp's rules below;</li>
 * <li>each product against the exact sum over the dequantized weights and dequantized activations (what the integer
 * arithmetic computes), within f32 rounding, and against the Java kernel on the unquantized activations within
 * the bound the activation quantization allows (Σ|w|·|x − x̂|);</li>
 * <li>every (row, token) result identical whatever the call covers (one token, a few, a chunk; any row split), and
 * through {@link MatMul} identical for every {@link Arithmetic} and thread count.</li>
 * </ul>
 * Where a C compiler built the library this must run: {@code -Djemma.requireNative=true} (scripts/test.sh sets it
 * when {@code cc} exists) turns a missing library into a failure instead of a skip.
 */
class NativeKernelsTest {
    static final GGMLType[] TYPES = {GGMLType.Q4_0, GGMLType.Q5_0, GGMLType.Q8_0, GGMLType.Q4_K, GGMLType.Q6_K};

    @BeforeAll
    static void library() {
        if (Boolean.getBoolean("jemma.requireNative")) {
            assertTrue(NativeKernels.available(), "native kernels required: " + NativeKernels.unavailableReason());
        }
        Assumptions.assumeTrue(NativeKernels.available(), () -> "native kernels unavailable: " + NativeKernels.unavailableReason());
    }

    /**
     * llama.cpp's x86 Q8_0 activation rule: d = max|x|/127 (rounded to f16), q = round-half-even(x · 127/max|x|);
     * kept with d widened to f32, and −8 × the sum of each four q (68-byte blocks).
     */
    static byte[] quantizeQ8_0(float[] x, int off, int cols) {
        MemorySegment out = MemorySegment.ofArray(new byte[cols / 32 * 68]);
        for (int b = 0; b < cols / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[off + 32 * b + j]));
            float d = amax / 127f, id = amax != 0 ? 127f / amax : 0f;
            out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 68L * b, Float.float16ToFloat(Float.floatToFloat16(d)));
            int[] sums = new int[8];
            for (int j = 0; j < 32; j++) {
                int q = (int) Math.rint(x[off + 32 * b + j] * id);
                out.set(ValueLayout.JAVA_BYTE, 68L * b + 4 + j, (byte) q);
                sums[j / 4] += q;
            }
            for (int g = 0; g < 8; g++) out.set(ValueLayout.JAVA_INT_UNALIGNED, 68L * b + 36 + 4 * g, -8 * sums[g]);
        }
        return out.toArray(ValueLayout.JAVA_BYTE);
    }

    /** Q8_0 blocks of 68 bytes as the 40-byte kind for interleaved weights: d, the 32 quants, −8 × all 32's sum. */
    static byte[] withTotals(byte[] q8_0) {
        int blocks = q8_0.length / 68;
        MemorySegment in = MemorySegment.ofArray(q8_0), out = MemorySegment.ofArray(new byte[blocks * 40]);
        for (int b = 0; b < blocks; b++) {
            MemorySegment.copy(in, 68L * b, out, 40L * b, 36);
            int total = 0;
            for (int g = 0; g < 8; g++) total += in.get(ValueLayout.JAVA_INT_UNALIGNED, 68L * b + 36 + 4 * g);
            out.set(ValueLayout.JAVA_INT_UNALIGNED, 40L * b + 36, total);
        }
        return out.toArray(ValueLayout.JAVA_BYTE);
    }

    /** llama.cpp's Q8_K rule: the element of largest magnitude maps to −127; sums of each 16 quants. */
    static byte[] quantizeQ8_K(float[] x, int off, int cols) {
        MemorySegment out = MemorySegment.ofArray(new byte[cols / 256 * 292]);
        for (int b = 0; b < cols / 256; b++) {
            long o = 292L * b;
            float amax = 0, max = 0;
            for (int j = 0; j < 256; j++) {
                float v = x[off + 256 * b + j];
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            if (amax == 0) continue;
            float iscale = -127f / max;
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int j = 0; j < 16; j++) {
                    int q = Math.min(127, (int) Math.rint(iscale * x[off + 256 * b + 16 * g + j]));
                    out.set(ValueLayout.JAVA_BYTE, o + 4 + 16 * g + j, (byte) q);
                    sum += q;
                }
                out.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 260 + 2 * g, (short) sum);
            }
            out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o, 1f / iscale);
        }
        return out.toArray(ValueLayout.JAVA_BYTE);
    }

    /** The activations the integer kernels see, as f32: d·q. */
    static float[] dequantizeActivations(int kind, byte[] q, int cols) {
        MemorySegment s = MemorySegment.ofArray(q);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = switch (kind) {
                case NativeKernels.Q8_0 -> s.get(ValueLayout.JAVA_FLOAT_UNALIGNED, i / 32 * 68L) * s.get(ValueLayout.JAVA_BYTE, i / 32 * 68L + 4 + i % 32);
                case NativeKernels.Q8_0_TOTAL -> s.get(ValueLayout.JAVA_FLOAT_UNALIGNED, i / 32 * 40L) * s.get(ValueLayout.JAVA_BYTE, i / 32 * 40L + 4 + i % 32);
                default -> s.get(ValueLayout.JAVA_FLOAT_UNALIGNED, i / 256 * 292L) * s.get(ValueLayout.JAVA_BYTE, i / 256 * 292L + 4 + i % 256);
            };
        }
        return x;
    }

    /** Random rows of the type: random bytes, with finite f16 scales of either sign. */
    static byte[] randomRows(GGMLType type, int rows, int cols, Random rnd) {
        byte[] raw = new byte[(int) (rows * type.rowBytes(cols))];
        rnd.nextBytes(raw);
        MemorySegment s = MemorySegment.ofArray(raw);
        int[] scales = switch (type) {
            case Q4_0, Q5_0, Q8_0 -> new int[] {0};
            case Q4_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(type.name());
        };
        for (long b = 0; b < raw.length / type.blockBytes; b++) {
            for (int at : scales) {
                float d = (float) ((rnd.nextBoolean() ? 1 : -1) * Math.exp(rnd.nextDouble(-9, -2)));
                s.set(ValueLayout.JAVA_SHORT_UNALIGNED, b * type.blockBytes + at, Float.floatToFloat16(d));
            }
        }
        return raw;
    }

    static float[] activations(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextDouble(-2, 2)));
        // a zero block and exact ties (k + 0.5 after scaling) are where quantizers differ
        for (int i = 0; i < Math.min(32, n); i++) x[i] = 0;
        for (int i = 32; i < Math.min(64, n); i++) x[i] = (i - 47.5f) / 16f;
        return x;
    }

    @Test
    void activationQuantizationIsLlamaCppsToTheBit() {
        Random rnd = new Random(1);
        int tokens = 5, cols = 1024;
        float[] x = activations(tokens * cols + 7, rnd);
        try (Arena arena = Arena.ofConfined()) {
            for (int kind = 0; kind < 3; kind++) {
                long stride = NativeKernels.activationBytes(kind, cols);
                MemorySegment out = arena.allocate(stride * tokens + 3);
                NativeKernels.quantize(kind, MemorySegment.ofArray(x), 7, cols, tokens, cols, out, 3, stride);
                for (int t = 0; t < tokens; t++) {
                    byte[] expected = switch (kind) {
                        case NativeKernels.Q8_0 -> quantizeQ8_0(x, 7 + t * cols, cols);
                        case NativeKernels.Q8_0_TOTAL -> withTotals(quantizeQ8_0(x, 7 + t * cols, cols));
                        default -> quantizeQ8_K(x, 7 + t * cols, cols);
                    };
                    byte[] got = out.asSlice(3 + t * stride, stride).toArray(ValueLayout.JAVA_BYTE);
                    assertArrayEquals(expected, got, "kind " + kind + " token " + t);
                }
            }
        }
    }

    /**
     * all[t·rows + r] (w's rows times the tokens quantized into xq) against the exact sum over the dequantized weights
     * and activations, within f32 rounding (a few units in the last place of the magnitude), and against the Java
     * kernel on the unquantized activations x, within the bound the activation quantization allows.
     */
    static void assertExactAndNearJava(WeightMatrix w, int kind, float[] x, MemorySegment xq, long stride, int tokens, float[] all) {
        int rows = w.rows, cols = w.cols;
        float[] row = new float[cols];
        for (int t = 0; t < tokens; t++) {
            float[] xh = dequantizeActivations(kind, xq.asSlice(t * stride, stride).toArray(ValueLayout.JAVA_BYTE), cols);
            for (int r = 0; r < rows; r++) {
                w.dequantizeRow(r, row, 0);
                double exact = 0, magnitude = 0, bound = 0;
                for (int i = 0; i < cols; i++) {
                    exact += (double) row[i] * xh[i];
                    magnitude += Math.abs((double) row[i] * xh[i]);
                    bound += Math.abs((double) row[i]) * Math.abs(x[t * cols + i] - xh[i]);
                }
                float got = all[t * rows + r];
                assertEquals(exact, got, 1e-5 * magnitude + 1e-30, w.type + " row " + r + " token " + t + " vs the exact integer sum");
                assertEquals(w.dot(r, x, t * cols), got, bound + 2e-5 * magnitude + 1e-30, w.type + " row " + r + " token " + t + " vs the Java kernel");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q5_0", "Q8_0", "Q4_K", "Q6_K"})
    void productsAgreeWithTheJavaKernels(GGMLType type) {
        Random rnd = new Random(type.id);
        int rows = 37, cols = 2048, tokens = 9;
        int kind = NativeKernels.activationKind(type);
        byte[] raw = randomRows(type, rows, cols, rnd);
        WeightMatrix w = new WeightMatrix("w", type, rows, cols, MemorySegment.ofArray(raw));
        float[] x = activations(tokens * cols, rnd);
        long stride = NativeKernels.activationBytes(kind, cols);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xq = arena.allocate(stride * tokens);
            NativeKernels.quantize(kind, MemorySegment.ofArray(x), 0, cols, tokens, cols, xq, 0, stride);
            float[] all = new float[tokens * rows];
            NativeKernels.matmul(type, w.data, 0, w.rowBytes, rows, cols, xq, stride, tokens, MemorySegment.ofArray(all), 0, rows);
            assertExactAndNearJava(w, kind, x, xq, stride, tokens, all);
            // each (row, token) the same bits whatever the call covers
            for (int t = 0; t < tokens; t++) {
                for (int r0 = 0; r0 < rows; r0 += 5) {
                    int n = Math.min(5, rows - r0);
                    float[] one = new float[n];
                    NativeKernels.matmul(type, w.data, r0 * w.rowBytes, w.rowBytes, n, cols, xq.asSlice(t * stride), stride, 1,
                            MemorySegment.ofArray(one), 0, n);
                    for (int i = 0; i < n; i++) {
                        assertEquals(Float.floatToRawIntBits(all[t * rows + r0 + i]), Float.floatToRawIntBits(one[i]),
                                type + " row " + (r0 + i) + " token " + t + " alone");
                    }
                }
            }
        }
    }

    /**
     * The interleaved (sixteen-row) weights of the AVX-512 VNNI build: against the exact sum and the Java kernel as
     * above, with a row count that leaves a partial group, and each (row, token) the same bits for any row range
     * (ranges that cut groups too) and any token count.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q5_0", "Q8_0", "Q4_K", "Q6_K"})
    void interleavedProductsAgreeWithTheExactSum(GGMLType type) {
        Assumptions.assumeTrue(NativeKernels.packs(type), "no interleaved kernels in the " + NativeKernels.variant() + " build");
        Random rnd = new Random(50 + type.id);
        int rows = 37, cols = 2048, tokens = 11, kind = NativeKernels.packedActivationKind(type);
        WeightMatrix w = new WeightMatrix("w", type, rows, cols, MemorySegment.ofArray(randomRows(type, rows, cols, rnd)));
        assertTrue(w.nativePacked());
        float[] x = activations(tokens * cols, rnd);
        long stride = NativeKernels.activationBytes(kind, cols);
        try (Arena arena = Arena.ofConfined(); WorkerPool pool = new WorkerPool(2)) {
            MemorySegment packed = w.packed(pool);
            assertEquals(NativeKernels.packedBytes(type, rows, cols), packed.byteSize());
            MemorySegment xq = arena.allocate(stride * tokens);
            NativeKernels.quantize(kind, MemorySegment.ofArray(x), 0, cols, tokens, cols, xq, 0, stride);
            float[] all = new float[tokens * rows];
            NativeKernels.matmulPacked(type, packed, 0, rows, cols, xq, stride, tokens, MemorySegment.ofArray(all), 0, rows);
            assertExactAndNearJava(w, kind, x, xq, stride, tokens, all);
            for (int[] range : new int[][] {{0, 5}, {5, 16}, {16, 37}, {3, 35}, {31, 37}, {36, 37}}) {
                for (int n : new int[] {1, 3, 8, 9}) {
                    int t0 = tokens - n, r0 = range[0], r1 = range[1];
                    float[] part = new float[n * (r1 - r0) + 2];
                    NativeKernels.matmulPacked(type, packed, r0, r1, cols, xq.asSlice(t0 * stride), stride, n, MemorySegment.ofArray(part), 1, r1 - r0);
                    for (int t = 0; t < n; t++) {
                        for (int r = r0; r < r1; r++) {
                            assertEquals(Float.floatToRawIntBits(all[(t0 + t) * rows + r]), Float.floatToRawIntBits(part[1 + t * (r1 - r0) + r - r0]),
                                    type + " rows [" + r0 + ", " + r1 + "), " + n + " tokens: row " + r + " token " + (t0 + t));
                        }
                    }
                    assertEquals(0f, part[0], "nothing written before the range");
                    assertEquals(0f, part[part.length - 1], "nothing written after the range");
                }
            }
        }
    }

    /**
     * Through MatMul: every arithmetic, 1 to 20 tokens, one and two threads, and fused parts give the same bits
     * (FAST prefill chunks excepted where they keep the f32 token tile: {@link NativeKernels#integerPrefill(int)}).
     */
    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q5_0", "Q8_0", "Q4_K", "Q6_K"})
    void matMulResultsDoNotDependOnTheBatch(GGMLType type) {
        Random rnd = new Random(100 + type.id);
        int rows = 45, cols = 512, maxTokens = 40;
        WeightMatrix w = new WeightMatrix("w", type, rows, cols, MemorySegment.ofArray(randomRows(type, rows, cols, rnd)));
        WeightMatrix v = new WeightMatrix("v", GGMLType.Q8_0, 7, cols, MemorySegment.ofArray(randomRows(GGMLType.Q8_0, 7, cols, rnd)));
        WeightMatrix f = new WeightMatrix("f", GGMLType.F32, 3, cols, MemorySegment.ofArray(new byte[3 * cols * 4]));
        float[] in = activations(maxTokens * cols + 1, rnd);
        float[] alone = new float[maxTokens * rows];
        try (WorkerPool pool = new WorkerPool(1)) {
            MatMul mm = new MatMul(pool, cols);
            assertEquals(Kernels.NATIVE, mm.kernels(Kernels.NATIVE));
            for (int t = 0; t < maxTokens; t++) mm.apply(w, Rows.of(in, 1 + t * cols, cols), Rows.of(alone, t * rows, rows), 1, Arithmetic.FAST);
        }
        for (int threads = 1; threads <= 2; threads++) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                MatMul mm = new MatMul(pool, cols);
                mm.kernels(Kernels.NATIVE);
                for (int tokens : new int[] {1, 2, 3, 4, 5, 8, 13, 20, 40}) {
                    for (Arithmetic a : Arithmetic.values()) {
                        if (a == Arithmetic.FAST && tokens >= MatMul.TILE_MIN_TOKENS && !NativeKernels.integerPrefill(tokens)) continue;
                        float[] out = new float[tokens * (rows + 2)], outV = new float[tokens * 7], outF = new float[tokens * 3];
                        mm.apply(Rows.of(in, 1, cols), tokens, a, w, Rows.of(out, 1, rows + 2), v, Rows.of(outV, 0, 7), f, Rows.of(outF, 0, 3));
                        for (int t = 0; t < tokens; t++) {
                            for (int r = 0; r < rows; r++) {
                                assertEquals(Float.floatToRawIntBits(alone[t * rows + r]), Float.floatToRawIntBits(out[1 + t * (rows + 2) + r]),
                                        type + " " + a + " " + tokens + " tokens, " + threads + " threads: row " + r + " token " + t);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void outOfBoundsRowsAreRefusedBeforeTheNativeCall() {
        int cols = 256;
        WeightMatrix w = new WeightMatrix("w", GGMLType.Q8_0, 4, cols, MemorySegment.ofArray(randomRows(GGMLType.Q8_0, 4, cols, new Random(3))));
        try (WorkerPool pool = new WorkerPool(1)) {
            MatMul mm = new MatMul(pool, cols);
            mm.kernels(Kernels.NATIVE);
            assertThrows(IndexOutOfBoundsException.class, () -> mm.apply(w, Rows.of(new float[cols], 0, cols), Rows.of(new float[3], 0, 4), 1, Arithmetic.FAST));
            assertThrows(IndexOutOfBoundsException.class, () -> mm.apply(w, Rows.of(new float[cols * 2 - 1], 0, cols), Rows.of(new float[8], 0, 4), 2, Arithmetic.FAST));
        }
    }

    /**
     * A matrix read from a mapping of its file: once its interleaved copy exists the process no longer holds the
     * stored pages (they go back to the page cache), its products read the copy, and a row looked up afterwards
     * still reads the file's bytes.
     */
    @Test
    void aMappedMatrixHandsItsStoredPagesBackOnceInterleaved(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        Assumptions.assumeTrue(NativeKernels.packs(GGMLType.Q8_0), "no interleaved kernels in the " + NativeKernels.variant() + " build");
        int rows = 16 * 1024, cols = 1024;
        byte[] bytes = randomRows(GGMLType.Q8_0, rows, cols, new Random(77));
        java.nio.file.Path file = tmp.resolve("w.bin");
        java.nio.file.Files.write(file, bytes);
        try (Arena arena = Arena.ofShared();
             java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ);
             WorkerPool pool = new WorkerPool(2)) {
            MemorySegment mapped = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
            WeightMatrix w = new WeightMatrix("w", GGMLType.Q8_0, rows, cols, mapped);
            float[] before = new float[cols], after = new float[cols];
            for (int r = 0; r < rows; r++) w.dequantizeRow(r, before, 0); // every stored page resident
            long residentBefore = residentKiB(file);
            assertTrue(residentBefore >= bytes.length / 1024 * 9 / 10, residentBefore + " KiB resident of " + bytes.length / 1024);

            MatMul mm = new MatMul(pool, cols);
            mm.kernels(Kernels.NATIVE);
            float[] x = activations(cols, new Random(78)), out = new float[rows];
            mm.apply(w, Rows.of(x, 0, cols), Rows.of(out, 0, rows), 1, Arithmetic.FAST);
            long residentAfter = residentKiB(file);
            assertTrue(residentAfter < bytes.length / 1024 / 10, residentAfter + " KiB still resident of " + bytes.length / 1024);

            float[] again = new float[rows];
            mm.apply(w, Rows.of(x, 0, cols), Rows.of(again, 0, rows), 1, Arithmetic.FAST);
            assertArrayEquals(out, again);
            assertTrue(residentKiB(file) < bytes.length / 1024 / 10, "a product reads the interleaved copy, not the mapping");
            w.dequantizeRow(rows - 1, after, 0);
            WeightMatrix heap = new WeightMatrix("h", GGMLType.Q8_0, rows, cols, MemorySegment.ofArray(bytes));
            heap.dequantizeRow(rows - 1, before, 0);
            assertArrayEquals(before, after, "a lookup after the hand-back reads the file's bytes");
        }
    }

    /**
     * A matrix kept in its stored layout (a one-shot run's output head) takes the row kernels, bit for bit; once a
     * matrix has its interleaved copy it can no longer be kept stored, so its results never change with the call.
     */
    @Test
    void aMatrixKeptStoredTakesTheRowKernelsAndAnInterleavedOneStaysInterleaved() {
        Assumptions.assumeTrue(NativeKernels.packs(GGMLType.Q8_0), "no interleaved kernels in the " + NativeKernels.variant() + " build");
        Random rnd = new Random(91);
        int rows = 48, cols = 256, tokens = 3, kind = NativeKernels.activationKind(GGMLType.Q8_0);
        byte[] bytes = randomRows(GGMLType.Q8_0, rows, cols, rnd);
        float[] x = activations(tokens * cols, rnd);
        try (Arena arena = Arena.ofConfined(); WorkerPool pool = new WorkerPool(2)) {
            WeightMatrix kept = new WeightMatrix("kept", GGMLType.Q8_0, rows, cols, MemorySegment.ofArray(bytes));
            assertTrue(kept.keepStoredLayout());
            assertFalse(kept.nativePacked());
            MatMul mm = new MatMul(pool, cols);
            mm.kernels(Kernels.NATIVE);
            float[] out = new float[tokens * rows];
            mm.apply(kept, Rows.of(x, 0, cols), Rows.of(out, 0, rows), tokens, Arithmetic.FAST);
            long stride = NativeKernels.activationBytes(kind, cols);
            MemorySegment xq = arena.allocate(stride * tokens);
            NativeKernels.quantize(kind, MemorySegment.ofArray(x), 0, cols, tokens, cols, xq, 0, stride);
            float[] rowsOut = new float[tokens * rows];
            NativeKernels.matmul(GGMLType.Q8_0, kept.data, 0, kept.rowBytes, rows, cols, xq, stride, tokens, MemorySegment.ofArray(rowsOut), 0, rows);
            assertArrayEquals(rowsOut, out);

            WeightMatrix packed = new WeightMatrix("packed", GGMLType.Q8_0, rows, cols, MemorySegment.ofArray(bytes));
            float[] first = new float[tokens * rows], again = new float[tokens * rows];
            mm.apply(packed, Rows.of(x, 0, cols), Rows.of(first, 0, rows), tokens, Arithmetic.FAST);
            assertFalse(packed.keepStoredLayout(), "an interleaved matrix stays interleaved");
            mm.apply(packed, Rows.of(x, 0, cols), Rows.of(again, 0, rows), tokens, Arithmetic.FAST);
            assertArrayEquals(first, again);
        }
    }

    /** The resident KiB of this process's mappings of the file (/proc/self/smaps). */
    static long residentKiB(java.nio.file.Path file) throws java.io.IOException {
        String name = file.toRealPath().toString();
        long kib = 0;
        boolean in = false;
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/smaps"))) {
            if (line.matches("[0-9a-f]+-[0-9a-f]+ .*")) {
                in = line.endsWith(name);
            } else if (in && line.startsWith("Rss:")) {
                kib += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return kib;
    }
}
