package dev.jemma.quantize;

import dev.jemma.tensor.GGMLType;
import dev.jemma.tensor.RowKernels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The row quantizers against ggml's ggml_quantize_chunk, byte for byte: fixtures from
 * conformance/gen_quantize_fixtures.py (llama-cpp-python 0.3.36), 10 rows × 512 columns of hard cases, each
 * quantized without importance, with a positive importance vector and with one that has zeros.
 */
class QuantizersTest {
    private static final int ROWS = 10, COLS = 512;
    private static final GGMLType[] TYPES = {
        GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0, GGMLType.Q4_0, GGMLType.Q4_1, GGMLType.Q5_0,
        GGMLType.Q5_1, GGMLType.Q2_K, GGMLType.Q3_K, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K};
    private static final String[] VARIANTS = {"", ".imatrix", ".imatrix_zeros"};

    static Path dir() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("jemma-core"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("cannot find the repository root");
        return p.resolve("jemma-core/src/test/resources/fixtures/quantize");
    }

    static float[] floats(String name) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(dir().resolve(name))).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    private static float[] importance(String variant) throws IOException {
        return variant.isEmpty() ? null : floats(variant.substring(1) + ".f32");
    }

    @Test
    void writesTheBytesGgmlWrites() throws IOException {
        float[] src = floats("input.f32");
        assertEquals(ROWS * COLS, src.length);
        // src at an offset, to check srcOff is honoured
        float[] shifted = new float[src.length + 5];
        System.arraycopy(src, 0, shifted, 5, src.length);
        List<String> bad = new ArrayList<>();
        for (GGMLType t : TYPES) {
            for (String v : VARIANTS) {
                byte[] expected = Files.readAllBytes(dir().resolve(t.name() + v + ".bin"));
                long rowBytes = t.rowBytes(COLS);
                assertEquals(ROWS * rowBytes, expected.length, t + v + " fixture size");
                try (Arena a = Arena.ofConfined()) {
                    // an odd destination offset: rows need no alignment
                    MemorySegment dst = a.allocate(expected.length + 3);
                    long wrote = Quantizers.quantize(t, shifted, 5, ROWS, COLS, importance(v), dst, 3);
                    assertEquals(expected.length, wrote, t + v + " bytes written");
                    byte[] ours = dst.asSlice(3).toArray(ValueLayout.JAVA_BYTE);
                    for (int r = 0; r < ROWS; r++) {
                        int first = firstDifference(expected, ours, (int) (r * rowBytes), (int) rowBytes);
                        if (first >= 0) {
                            bad.add(t + v + ": row " + r + " differs from byte " + first + " (block "
                                    + first / t.blockBytes + ")");
                        }
                    }
                    // one row per call gives the same bytes
                    MemorySegment one = a.allocate(rowBytes);
                    for (int r = 0; r < ROWS; r++) {
                        Quantizers.quantize(t, src, r * COLS, 1, COLS, importance(v), one, 0);
                        if (!Arrays.equals(one.toArray(ValueLayout.JAVA_BYTE),
                                Arrays.copyOfRange(ours, (int) (r * rowBytes), (int) ((r + 1) * rowBytes)))) {
                            bad.add(t + v + ": row " + r + " quantized alone differs from the same row in a batch");
                        }
                    }
                }
            }
        }
        assertTrue(bad.isEmpty(), () -> bad.size() + " mismatches:\n" + String.join("\n", bad));
    }

    private static int firstDifference(byte[] a, byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) if (a[off + i] != b[off + i]) return i;
        return -1;
    }

    /**
     * What a kernel reads back from the rows is close to the input: a bound per type on the RMS error relative to
     * the RMS value, both weighted by the importance when there is one (ggml is free to get a value of weight
     * zero wrong). Row 3 under the importance with zeros is left out: its outlier has weight zero, yet it still
     * sets its sub-block's range, and in the affine K types that coarsens the whole super-block (ggml's bytes,
     * matched above, do the same).
     */
    @Test
    void kernelsReadBackWhatWasWritten() throws IOException {
        float[] src = floats("input.f32");
        Object[][] bounds = {
            {GGMLType.F32, 0.0}, {GGMLType.F16, 1e-3}, {GGMLType.BF16, 4e-3}, {GGMLType.Q8_0, 0.01},
            {GGMLType.Q6_K, 0.04}, {GGMLType.Q5_0, 0.1}, {GGMLType.Q5_1, 0.1}, {GGMLType.Q5_K, 0.08},
            {GGMLType.Q4_0, 0.2}, {GGMLType.Q4_1, 0.2}, {GGMLType.Q4_K, 0.15}, {GGMLType.Q3_K, 0.3},
            {GGMLType.Q2_K, 0.6}};
        List<String> bad = new ArrayList<>();
        StringBuilder worst = new StringBuilder();
        for (Object[] tb : bounds) {
            GGMLType t = (GGMLType) tb[0];
            double bound = (Double) tb[1], maxRatio = 0;
            for (String v : VARIANTS) {
                float[] imp = importance(v);
                long rowBytes = t.rowBytes(COLS);
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment dst = a.allocate(ROWS * rowBytes);
                    Quantizers.quantize(t, src, 0, ROWS, COLS, imp, dst, 0);
                    float[] back = new float[COLS];
                    for (int r = 0; r < ROWS; r++) {
                        if (r == 3 && v.equals(".imatrix_zeros")) continue;
                        RowKernels.forType(t).dequantize(dst, r * rowBytes, back, 0, COLS);
                        double err = 0, mag = 0, wsum = 0;
                        for (int i = 0; i < COLS; i++) {
                            double x = src[r * COLS + i], w = imp == null ? 1 : imp[i];
                            err += w * (back[i] - x) * (back[i] - x);
                            mag += w * x * x;
                            wsum += w;
                        }
                        double rmsErr = Math.sqrt(err / wsum), rms = Math.sqrt(mag / wsum);
                        if (rms > 1e-6) maxRatio = Math.max(maxRatio, rmsErr / rms);
                        if (!(rmsErr <= bound * rms + 1e-6)) {
                            bad.add(t + v + " row " + r + ": rms error " + rmsErr + " for rms " + rms);
                        }
                    }
                }
            }
            worst.append(t).append(' ').append(String.format("%.4f", maxRatio)).append("; ");
        }
        System.out.println("worst relative rms error: " + worst);
        assertTrue(bad.isEmpty(), () -> String.join("\n", bad));
    }

    @Test
    void threadsQuantizingRowsApartAgree() throws Exception {
        float[] src = floats("input.f32");
        float[] imatrix = floats("imatrix.f32");
        GGMLType t = GGMLType.Q4_K;
        long rowBytes = t.rowBytes(COLS);
        byte[] expected = Files.readAllBytes(dir().resolve("Q4_K.imatrix.bin"));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Arena a = Arena.ofShared()) {
            MemorySegment dst = a.allocate(ROWS * rowBytes);
            List<Future<?>> jobs = new ArrayList<>();
            for (int r = 0; r < ROWS; r++) {
                int row = r;
                jobs.add(pool.submit(() -> Quantizers.quantize(t, src, row * COLS, 1, COLS, imatrix, dst, row * rowBytes)));
            }
            for (Future<?> f : jobs) f.get();
            assertArrayEquals(expected, dst.toArray(ValueLayout.JAVA_BYTE));
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void refusesBadArguments() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dst = a.allocate(4096);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Quantizers.quantize(GGMLType.Q4_K, new float[384], 0, 1, 384, null, dst, 0));
            assertTrue(e.getMessage().contains("multiple of 256"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Quantizers.quantize(GGMLType.Q4_0, new float[48], 0, 1, 48, null, dst, 0));
            assertTrue(e.getMessage().contains("multiple of 32"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Quantizers.quantize(GGMLType.Q4_0, new float[64], 0, 1, 64, new float[32], dst, 0));
            assertTrue(e.getMessage().contains("importance") && e.getMessage().contains("64"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Quantizers.quantize(GGMLType.IQ4_XS, new float[256], 0, 1, 256, null, dst, 0));
            assertTrue(e.getMessage().contains("IQ4_XS"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class,
                    () -> Quantizers.quantize(GGMLType.Q8_0, new float[64], 1, 2, 32, null, dst, 0));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> Quantizers.quantize(GGMLType.Q8_0, new float[64], 0, 2, 32, null, dst, 4096 - 67));
        }
    }

    @Test
    void saysWhatItSupports() {
        for (GGMLType t : TYPES) assertTrue(Quantizers.supports(t), t.name());
        assertFalse(Quantizers.supports(GGMLType.IQ2_XXS));
        assertFalse(Quantizers.supports(GGMLType.Q8_K));
        for (GGMLType t : new GGMLType[] {GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0}) {
            assertFalse(Quantizers.usesImportance(t), t.name());
        }
        for (GGMLType t : new GGMLType[] {GGMLType.Q4_0, GGMLType.Q4_1, GGMLType.Q5_0, GGMLType.Q5_1, GGMLType.Q2_K,
                GGMLType.Q3_K, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K}) {
            assertTrue(Quantizers.usesImportance(t), t.name());
        }
    }

    /**
     * f16 conversion against ggml's own bit recipe (ggml_compute_fp32_to_fp16: scale the magnitude to round in
     * the f16 mantissa position, then reassemble exponent and mantissa), on a sweep of all float bit patterns.
     */
    @Test
    void f16RoundingIsGgmlsForEveryKindOfFloat() {
        for (long bits = 0; bits <= 0xFFFFFFFFL; bits += 251) {
            float f = Float.intBitsToFloat((int) bits);
            short want = ggmlF16(f), got = HalfFloats.toF16(f);
            if (want != got) fail("f16 of " + f + " (bits " + Long.toHexString(bits) + "): " + got + " != " + want);
        }
        for (float f : new float[] {65504f, 65519.99f, 65520f, 5.9604645e-8f, 2.9802322e-8f, 2.9802326e-8f, -0f, Float.NaN}) {
            assertEquals(ggmlF16(f), HalfFloats.toF16(f), "f16 of " + f);
        }
    }

    private static short ggmlF16(float f) {
        float base = (Math.abs(f) * 0x1.0p+112f) * 0x1.0p-110f;
        int w = Float.floatToRawIntBits(f);
        int shl1 = w + w;
        int sign = w & 0x80000000;
        int bias = shl1 & 0xFF000000;
        if (Integer.compareUnsigned(bias, 0x71000000) < 0) bias = 0x71000000;
        base = Float.intBitsToFloat((bias >>> 1) + 0x07800000) + base;
        int b = Float.floatToRawIntBits(base);
        int nonsign = ((b >>> 13) & 0x7C00) + (b & 0x0FFF);
        return (short) ((sign >>> 16) | (Integer.compareUnsigned(shl1, 0xFF000000) > 0 ? 0x7E00 : nonsign));
    }
}
