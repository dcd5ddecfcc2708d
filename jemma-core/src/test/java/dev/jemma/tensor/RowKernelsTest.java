package dev.jemma.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every kernel against the gguf Python package's dequantizer on random blocks
 * (conformance/gen_quant_fixtures.py), at this machine's vector width and, in a child JVM, the other one.
 */
class RowKernelsTest {

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void dequantizeAndDotMatchTheReference(GGMLType type) throws IOException {
        List<String> bad = QuantFixtures.check(type);
        assertTrue(bad.isEmpty(), () -> String.join("\n", bad));
    }

    /** The kernels pick 256- or 512-bit vectors by CPU; check the width this machine does not pick (emulated if absent). */
    @ParameterizedTest
    @ValueSource(strings = {"256", "512"})
    void otherVectorWidthsMatchTheReference(String bits) throws Exception {
        if (BlockKernel.L * 32 == Integer.parseInt(bits)) return; // covered in-process
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Djemma.vectorBits=" + bits,
                "-cp", System.getProperty("java.class.path"), QuantFixtures.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains(bits + "-bit") || out.contains("S_" + bits + "_BIT"), out);
    }

    @Test
    void f16ConversionIsExactForAll65536Values() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2 * 65536 + 1).asSlice(1); // unaligned
            for (int i = 0; i < 65536; i++) seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, (short) i);
            float[] out = new float[65536];
            RowKernels.forType(GGMLType.F16).dequantize(seg, 0, out, 0, 65536);
            for (int i = 0; i < 65536; i += BlockKernel.L) {
                float[] v = F16Kernel.halfs(seg, 2L * i).toArray();
                for (int j = 0; j < BlockKernel.L; j++) {
                    float f = Float.float16ToFloat((short) (i + j));
                    int want = Float.floatToRawIntBits(f);
                    // NaN payloads may differ in the quiet bit (vcvtph2ps quiets signalling NaNs); any NaN is fine
                    if (Float.isNaN(f)) assertTrue(Float.isNaN(v[j]), "vector f16 0x" + Integer.toHexString(i + j));
                    else assertEquals(want, Float.floatToRawIntBits(v[j]), "vector f16 0x" + Integer.toHexString(i + j));
                    if (Float.isNaN(f)) assertTrue(Float.isNaN(out[i + j]));
                    else assertEquals(want, Float.floatToRawIntBits(out[i + j]), "dequantized f16 0x" + Integer.toHexString(i + j));
                }
            }
        }
    }

    @Test
    void kQuantScalePackingMatchesTheReferenceLayout() {
        // the Q4_K scale formulas of docs/GEMMA3.md ("Quantisation blocks"), byte by byte, against the packed-word helpers
        java.util.Random rnd = new java.util.Random(7);
        byte[] s = new byte[12];
        for (int trial = 0; trial < 2000; trial++) {
            rnd.nextBytes(s);
            MemorySegment seg = MemorySegment.ofArray(s);
            long a = seg.get(BlockKernel.U64, 0);
            int b = seg.get(BlockKernel.U32, 8);
            for (int j = 0; j < 8; j++) {
                int sc = j < 4 ? s[j] & 63 : (s[j + 4] & 0xF) | ((s[j - 4] & 0xFF) >> 6) << 4;
                int m = j < 4 ? s[j + 4] & 63 : ((s[j + 4] & 0xFF) >> 4) | ((s[j] & 0xFF) >> 6) << 4;
                assertEquals(sc, BlockKernel.k4Scale(a, b, j));
                assertEquals(m, BlockKernel.k4Min(a, b, j));
            }
        }
    }

    @Test
    void everySupportedTypeHasASingletonKernel() {
        for (String t : QuantFixtures.TYPES) {
            GGMLType type = GGMLType.valueOf(t);
            assertSame(RowKernels.forType(type), RowKernels.forType(type));
        }
    }

    @Test
    void typesWithoutAKernelAreATypedError() {
        for (GGMLType t : new GGMLType[] {GGMLType.IQ2_XXS, GGMLType.Q8_K, GGMLType.Q8_1, GGMLType.I32, GGMLType.MXFP4}) {
            var e = assertThrows(UnsupportedTensorTypeException.class, () -> RowKernels.forType(t));
            assertTrue(e.getMessage().contains(t.name()), e.getMessage());
        }
    }
}
