package dev.jemma.tensor;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.*;

/** The row writers against gguf-py's quantizer (fixtures from conformance/gen_quant_fixtures.py), byte for byte. */
class RowQuantizerTest {
    @Test
    void encodesLikeTheGgufPackage() throws IOException {
        float[] src = QuantFixtures.floats(QuantFixtures.dir().resolve("quantize_src.f32"));
        int rows = QuantFixtures.ROWS, cols = QuantFixtures.COLS;
        for (GGMLType t : new GGMLType[] {GGMLType.F16, GGMLType.Q8_0}) {
            byte[] expected = Files.readAllBytes(QuantFixtures.dir().resolve("quantize_" + t.name() + ".bin"));
            long rowBytes = t.rowBytes(cols);
            assertEquals(rows * rowBytes, expected.length);
            try (Arena a = Arena.ofConfined()) {
                // odd offset: rows need no alignment
                MemorySegment dst = a.allocate(rows * rowBytes + 3);
                for (int r = 0; r < rows; r++) RowQuantizer.quantize(t, src, r * cols, dst, 3 + r * rowBytes, cols);
                byte[] ours = dst.asSlice(3).toArray(ValueLayout.JAVA_BYTE);
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], ours[i], t + ": byte " + i + " (row " + i / rowBytes + ")");
                }
                // and the kernel reads back what was written
                float[] back = new float[cols];
                RowKernels.forType(t).dequantize(dst, 3, back, 0, cols);
                for (int i = 0; i < cols; i++) {
                    assertEquals(src[i], back[i], t == GGMLType.F16 ? Math.abs(src[i]) * 1e-3 + 1e-7 : 0.05, t + " value " + i);
                }
            }
        }
    }

    @Test
    void f32IsACopy() {
        float[] src = {1.5f, -0f, Float.MIN_VALUE, 3e38f};
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dst = a.allocate(16);
            RowQuantizer.quantize(GGMLType.F32, src, 0, dst, 0, 4);
            assertArrayEquals(src, dst.toArray(ValueLayout.JAVA_FLOAT));
        }
    }

    @Test
    void refusesTypesItCannotWrite() {
        try (Arena a = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class,
                    () -> RowQuantizer.quantize(GGMLType.Q4_K, new float[256], 0, a.allocate(144), 0, 256));
        }
    }
}
