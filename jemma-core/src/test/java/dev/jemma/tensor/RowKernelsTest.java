package dev.jemma.tensor;

import dev.jemma.testutil.Assets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every kernel against the gguf Python package's dequantizer on random blocks
 * (conformance/gen_quant_fixtures.py): 4 rows × 512 columns per type.
 */
class RowKernelsTest {
    static final int ROWS = 4, COLS = 512;

    static Path dir() {
        return Assets.repoRoot().resolve("jemma-core/src/test/resources/fixtures/quant");
    }

    static float[] floats(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void dequantizeAndDotMatchTheReference(GGMLType type) throws IOException {
        byte[] raw = Files.readAllBytes(dir().resolve(type.name() + ".bin"));
        float[] expected = floats(dir().resolve(type.name() + ".f32"));
        float[] x = floats(dir().resolve("x.f32"));
        RowKernel k = RowKernels.forType(type);
        long rowBytes = type.rowBytes(COLS);
        assertEquals(ROWS * rowBytes, raw.length);
        try (Arena arena = Arena.ofConfined()) {
            // place the rows at an odd offset inside a larger segment: kernels must not assume alignment
            MemorySegment big = arena.allocate(raw.length + 7 + 64);
            MemorySegment.copy(raw, 0, big, ValueLayout.JAVA_BYTE, 7, raw.length);
            MemorySegment seg = big.asSlice(3);
            long base = 4;
            float[] row = new float[COLS + 5];
            for (int r = 0; r < ROWS; r++) {
                k.dequantize(seg, base + r * rowBytes, row, 5, COLS);
                double dot = 0, mag = 0;
                for (int i = 0; i < COLS; i++) {
                    float e = expected[r * COLS + i];
                    assertEquals(e, row[5 + i], Math.abs(e) * 1e-6 + 1e-6, type + " row " + r + " element " + i);
                    dot += (double) e * x[i];
                    mag += Math.abs((double) e * x[i]);
                }
                float got = k.dot(seg, base + r * rowBytes, x, 0, COLS);
                assertEquals(dot, got, 1e-5 * mag + 1e-6, type + " dot of row " + r);
                // an activation offset
                float[] shifted = new float[COLS + 9];
                System.arraycopy(x, 0, shifted, 9, COLS);
                assertEquals(got, k.dot(seg, base + r * rowBytes, shifted, 9, COLS), 1e-6 * mag + 1e-6);
            }
        }
    }

    @Test
    void typesWithoutAKernelAreATypedError() {
        var e = assertThrows(UnsupportedTensorTypeException.class, () -> RowKernels.forType(GGMLType.IQ2_XXS));
        assertTrue(e.getMessage().contains("IQ2_XXS"));
    }
}
