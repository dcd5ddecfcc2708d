package dev.jemma.quantize;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.tensor.GGMLType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every way a quantization can be refused gets a QuantizeException naming the file or tensor, and writes nothing. */
class QuantizeErrorsTest {
    static final Path SYNTHETIC = QuantizeInteropTest.root().resolve("jemma-core/src/test/resources/fixtures/synthetic");
    static final Path F32 = SYNTHETIC.resolve("f32_basic/model.gguf");
    static final Path Q4_0 = SYNTHETIC.resolve("q4_0/model.gguf");

    @Test
    void requantizingNeedsConsent(@TempDir Path tmp) throws Exception {
        try (GGUFFile in = GGUFFile.open(Q4_0)) {
            var e = assertThrows(QuantizeException.class, () -> ModelQuantizer.plan(in, ModelQuantizer.Options.of(QuantizationMix.Q8_0, 1)));
            assertTrue(e.getMessage().contains("already Q4_0") && e.getMessage().contains("--allow-requantize"), e.getMessage());
            var o = new ModelQuantizer.Options(QuantizationMix.Q8_0, null, null, false, true, null, null, 1);
            Path out = tmp.resolve("q8.gguf");
            ModelQuantizer.write(in, ModelQuantizer.plan(in, o), o, out, null);
            try (GGUFFile q = GGUFFile.open(out)) {
                assertEquals(GGMLType.Q8_0, q.tensor("blk.0.attn_q.weight").type());
            }
        }
    }

    @Test
    void neverOverwritesTheInput(@TempDir Path tmp) throws Exception {
        Path copy = tmp.resolve("m.gguf");
        Files.copy(F32, copy);
        byte[] before = Files.readAllBytes(copy);
        try (GGUFFile in = GGUFFile.open(copy)) {
            var o = ModelQuantizer.Options.of(QuantizationMix.Q8_0, 1);
            var e = assertThrows(QuantizeException.class, () -> ModelQuantizer.write(in, ModelQuantizer.plan(in, o), o, copy, null));
            assertTrue(e.getMessage().contains("is the input file"), e.getMessage());
            var e2 = assertThrows(QuantizeException.class, () -> ModelQuantizer.write(in, ModelQuantizer.plan(in, o), o, tmp.resolve("no/such/dir/x.gguf"), null));
            assertTrue(e2.getMessage().contains("does not exist"), e2.getMessage());
        }
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(copy)));
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void anImportanceMatrixForAnotherModelIsRefused(@TempDir Path tmp) throws Exception {
        Map<String, ImportanceMatrix.Entry> wrong = new TreeMap<>();
        wrong.put("blk.0.attn_q.weight", new ImportanceMatrix.Entry(new float[4096], new long[]{10}));
        Path f = tmp.resolve("other.imatrix.gguf");
        new ImportanceMatrix(wrong, java.util.List.of("x.txt"), 1, 512).write(f);
        ImportanceMatrix imp = ImportanceMatrix.read(f);
        try (GGUFFile in = GGUFFile.open(F32)) {
            var o = new ModelQuantizer.Options(QuantizationMix.Q4_0, null, null, false, false, imp, f.toString(), 1);
            var e = assertThrows(QuantizeException.class, () -> ModelQuantizer.plan(in, o));
            assertTrue(e.getMessage().contains("blk.0.attn_q.weight") && e.getMessage().contains("another model"), e.getMessage());
            Map<String, ImportanceMatrix.Entry> none = new TreeMap<>();
            none.put("blk.99.ffn_up.weight", new ImportanceMatrix.Entry(new float[64], new long[]{10}));
            var o2 = new ModelQuantizer.Options(QuantizationMix.Q4_0, null, null, false, false, new ImportanceMatrix(none, java.util.List.of(), 0, 0), "n", 1);
            var e2 = assertThrows(QuantizeException.class, () -> ModelQuantizer.plan(in, o2));
            assertTrue(e2.getMessage().contains("no entry for any weight"), e2.getMessage());
        }
    }

    @Test
    void q2KSNeedsAnImportanceMatrix() throws Exception {
        try (GGUFFile in = GGUFFile.open(SYNTHETIC.resolve("q2_k/model.gguf"))) {
            var o = new ModelQuantizer.Options(QuantizationMix.Q2_K_S, null, null, false, true, null, null, 1);
            var e = assertThrows(QuantizeException.class, () -> ModelQuantizer.plan(in, o));
            assertTrue(e.getMessage().contains("needs an importance matrix"), e.getMessage());
        }
    }

    @Test
    void badImportanceFiles(@TempDir Path tmp) throws Exception {
        assertTrue(assertThrows(QuantizeException.class, () -> ImportanceMatrix.read(tmp.resolve("absent.dat"))).getMessage().contains("not found"));
        Path junk = Files.write(tmp.resolve("junk.dat"), new byte[]{1, 0, 0, 0, 5, 0});
        assertTrue(assertThrows(QuantizeException.class, () -> ImportanceMatrix.read(junk)).getMessage().contains("legacy"));
        Path truncated = tmp.resolve("t.gguf");
        Map<String, ImportanceMatrix.Entry> e = new TreeMap<>();
        e.put("blk.0.attn_q.weight", new ImportanceMatrix.Entry(new float[64], new long[]{3}));
        new ImportanceMatrix(e, java.util.List.of(), 1, 512).write(truncated);
        byte[] b = Files.readAllBytes(truncated);
        Files.write(truncated, java.util.Arrays.copyOf(b, b.length - 40));
        assertThrows(QuantizeException.class, () -> ImportanceMatrix.read(truncated));
        // a model file is not an importance matrix
        var notImatrix = assertThrows(QuantizeException.class, () -> ImportanceMatrix.read(F32));
        assertTrue(notImatrix.getMessage().contains("not an importance matrix"), notImatrix.getMessage());
    }

    @Test
    void legacyImportanceFormatRoundTrip(@TempDir Path tmp) throws Exception {
        // the old llama-imatrix .dat layout: n; per entry name length, name, calls, values, floats; chunks; dataset
        var buf = java.nio.ByteBuffer.allocate(256).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        byte[] name = "blk.0.ffn_down.weight".getBytes();
        buf.putInt(1).putInt(name.length).put(name).putInt(4).putInt(3).putFloat(8f).putFloat(4f).putFloat(0f);
        buf.putInt(7);
        byte[] ds = "wiki.txt".getBytes();
        buf.putInt(ds.length).put(ds);
        Path f = tmp.resolve("old.dat");
        Files.write(f, java.util.Arrays.copyOf(buf.array(), buf.position()));
        ImportanceMatrix m = ImportanceMatrix.read(f);
        assertEquals(7, m.chunkCount());
        assertEquals(java.util.List.of("wiki.txt"), m.datasets());
        float[] w = m.weights("blk.0.ffn_down.weight");
        assertEquals(2f, w[0]);
        assertEquals(1f, w[1]);
        assertEquals(0f, w[2]);
        assertFalse(m.entries().containsKey("blk.0.ffn_up.weight"));
    }

    @Test
    void unknownMixesAndTypes() {
        assertThrows(IllegalArgumentException.class, () -> QuantizationMix.parse("Q4_K_X"));
        assertEquals(QuantizationMix.Q4_K_M, QuantizationMix.parse("q4_k"));
        assertEquals(QuantizationMix.Q6_K, QuantizationMix.parse("18"));
        assertThrows(QuantizeException.class, () -> new ModelQuantizer.Options(QuantizationMix.Q4_0, GGMLType.IQ2_XS, null, false, false, null, null, 1));
    }

    @Test
    void notAModel(@TempDir Path tmp) throws Exception {
        Path imatrix = tmp.resolve("i.gguf");
        Map<String, ImportanceMatrix.Entry> e = new TreeMap<>();
        e.put("blk.0.attn_q.weight", new ImportanceMatrix.Entry(new float[64], new long[]{3}));
        new ImportanceMatrix(e, java.util.List.of(), 1, 512).write(imatrix);
        try (GGUFFile in = GGUFFile.open(imatrix)) {
            var x = assertThrows(QuantizeException.class, () -> ModelQuantizer.plan(in, ModelQuantizer.Options.of(QuantizationMix.Q8_0, 1)));
            assertTrue(x.getMessage().contains("not a model") || x.getMessage().contains("general.architecture"), x.getMessage());
        }
    }
}
