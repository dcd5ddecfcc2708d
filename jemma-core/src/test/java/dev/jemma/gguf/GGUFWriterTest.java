package dev.jemma.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.tensor.GGMLType;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class GGUFWriterTest {
    static final float[] VALUES = {0f, 1f, -2.5f, 3.14159f, 1e-8f, 65504f, -1e4f, 0.1f};

    /** One key of every scalar and array type, and tensors f32, f16, bf16 and raw q8_0. */
    static GGUFWriter everything(int alignment) {
        byte[] q8 = new byte[34 * 2]; // two q8_0 blocks: f16 scale 1.0, then 32 int8 each
        for (int b = 0; b < 2; b++) {
            q8[b * 34] = 0x00;
            q8[b * 34 + 1] = 0x3C;
            for (int i = 0; i < 32; i++) q8[b * 34 + 2 + i] = (byte) (i - 16 + b);
        }
        return new GGUFWriter()
                .putString("general.architecture", "test")
                .putU32("general.alignment", alignment)
                .put("u8", GGUFValueType.UINT8, 200)
                .put("i8", GGUFValueType.INT8, -100)
                .put("u16", GGUFValueType.UINT16, 60000)
                .put("i16", GGUFValueType.INT16, -30000)
                .put("i32", GGUFValueType.INT32, -2_000_000_000)
                .put("f32", GGUFValueType.FLOAT32, 0.25f)
                .put("bool", GGUFValueType.BOOL, true)
                .put("u64", GGUFValueType.UINT64, 1L << 40)
                .put("i64", GGUFValueType.INT64, -(1L << 40))
                .put("f64", GGUFValueType.FLOAT64, Math.PI)
                .putString("str", "héllo ▁ wörld")
                .putArray("a.u8", GGUFValueType.UINT8, new byte[] {1, 2, (byte) 255})
                .putArray("a.bool", GGUFValueType.BOOL, new byte[] {1, 0, 1})
                .putArray("a.i16", GGUFValueType.INT16, new short[] {-1, 2})
                .putArray("a.u32", GGUFValueType.UINT32, new int[] {7, 8, 9})
                .putArray("a.i64", GGUFValueType.INT64, new long[] {-5, 1L << 50})
                .putArray("a.f32", GGUFValueType.FLOAT32, new float[] {1.5f, -2f})
                .putArray("a.f64", GGUFValueType.FLOAT64, new double[] {0.5})
                .putArray("a.str", GGUFValueType.STRING, new String[] {"a", "", "ü"})
                .tensor("t.f32", new long[] {4, 2}, GGMLType.F32, VALUES)
                .tensor("t.f16", new long[] {8}, GGMLType.F16, VALUES)
                .tensor("t.bf16", new long[] {2, 2, 2}, GGMLType.BF16, VALUES)
                .tensor("t.q8_0", new long[] {64}, GGMLType.Q8_0, MemorySegment.ofArray(q8));
    }

    @Test
    void jemmasReaderReadsBackEveryValueAndTensor(@TempDir Path tmp) throws IOException {
        Path p = tmp.resolve("all.gguf");
        everything(64).write(p);
        try (GGUFFile f = GGUFFile.open(p)) {
            GGUFMetadata md = f.metadata();
            assertEquals(64, f.alignment());
            assertEquals(200, md.integer("u8"));
            assertEquals(-100, md.integer("i8"));
            assertEquals(60000, md.integer("u16"));
            assertEquals(-30000, md.integer("i16"));
            assertEquals(-2_000_000_000, md.integer("i32"));
            assertEquals(0.25, md.real("f32"));
            assertTrue(md.bool("bool", false));
            assertEquals(1L << 40, md.integer("u64"));
            assertEquals(-(1L << 40), md.integer("i64"));
            assertEquals(Math.PI, md.real("f64"));
            assertEquals("héllo ▁ wörld", md.string("str"));
            assertArrayEquals(new byte[] {1, 2, (byte) 255}, (byte[]) md.entry("a.u8").value());
            assertEquals(GGUFValueType.BOOL, md.entry("a.bool").elementType());
            assertArrayEquals(new short[] {-1, 2}, (short[]) md.entry("a.i16").value());
            assertArrayEquals(new int[] {7, 8, 9}, md.intArray("a.u32"));
            assertArrayEquals(new long[] {-5, 1L << 50}, (long[]) md.entry("a.i64").value());
            assertArrayEquals(new float[] {1.5f, -2f}, md.floatArray("a.f32"));
            assertArrayEquals(new double[] {0.5}, (double[]) md.entry("a.f64").value());
            assertArrayEquals(new String[] {"a", "", "ü"}, md.stringArray("a.str"));
            assertEquals(List.of("general.architecture", "general.alignment", "u8"), md.keys().stream().limit(3).toList(), "order kept");

            for (TensorInfo t : f.tensors()) assertEquals(0, t.offset() % 64, t.name() + " aligned");
            MemorySegment f32 = f.tensorData(f.tensor("t.f32"));
            MemorySegment f16 = f.tensorData(f.tensor("t.f16"));
            MemorySegment bf16 = f.tensorData(f.tensor("t.bf16"));
            for (int i = 0; i < VALUES.length; i++) {
                assertEquals(VALUES[i], f32.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i));
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(VALUES[i])),
                        Float.float16ToFloat(f16.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i)));
                float b = Float.intBitsToFloat(bf16.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) << 16);
                assertEquals(VALUES[i], b, Math.abs(VALUES[i]) / 128 + 1e-30, "bf16 of " + VALUES[i]);
            }
            assertArrayEquals(new long[] {2, 2, 2}, f.tensor("t.bf16").shape());
            assertEquals(GGMLType.Q8_0, f.tensor("t.q8_0").type());
            assertEquals(-16, f.tensorData(f.tensor("t.q8_0")).get(ValueLayout.JAVA_BYTE, 2));
        }
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, GGUFWriter.toBF16(1f));
        assertEquals((short) 0x3F80, GGUFWriter.toBF16(Float.intBitsToFloat(0x3F808000))); // tie → even (down)
        assertEquals((short) 0x3F82, GGUFWriter.toBF16(Float.intBitsToFloat(0x3F818000))); // tie → even (up)
        assertTrue(Float.isNaN(Float.intBitsToFloat(GGUFWriter.toBF16(Float.NaN) << 16)));
    }

    /** The Python gguf package (what llama.cpp's tools use) reads the same values. */
    @Test
    void pythonGgufReadsWhatJemmaWrote(@TempDir Path tmp) throws Exception {
        String python = System.getenv("JEMMA_PYTHON");
        if (python == null || python.isBlank()) {
            String msg = "JEMMA_PYTHON (the conformance venv's python, with gguf) is not set";
            if (Assets.required()) Assertions.fail(msg);
            Assumptions.abort(msg);
        }
        Path p = tmp.resolve("all.gguf");
        everything(32).write(p);
        String script = """
                import json, sys, gguf, numpy as np
                r = gguf.GGUFReader(sys.argv[1])
                out = {"fields": {}, "tensors": {}}
                for k, f in r.fields.items():
                    if k.startswith("GGUF."): continue
                    v = f.contents()
                    out["fields"][k] = v.item() if hasattr(v, "item") else v
                for t in r.tensors:
                    out["tensors"][t.name] = {"shape": [int(d) for d in t.shape], "type": t.tensor_type.name,
                        "values": gguf.quants.dequantize(t.data, t.tensor_type).astype(float).ravel().tolist()}
                print(json.dumps(out))
                """;
        Process proc = new ProcessBuilder(python, "-c", script, p.toString()).redirectErrorStream(false).start();
        String json = new String(proc.getInputStream().readAllBytes());
        String err = new String(proc.getErrorStream().readAllBytes());
        assertTrue(proc.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, proc.exitValue(), err);
        JsonNode root = new ObjectMapper().readTree(json), fields = root.get("fields"), tensors = root.get("tensors");
        assertEquals(200, fields.get("u8").asInt());
        assertEquals(-30000, fields.get("i16").asInt());
        assertEquals(1L << 40, fields.get("u64").asLong());
        assertEquals(Math.PI, fields.get("f64").asDouble());
        assertTrue(fields.get("bool").asBoolean());
        assertEquals("héllo ▁ wörld", fields.get("str").asText());
        assertEquals("ü", fields.get("a.str").get(2).asText());
        assertEquals(1L << 50, fields.get("a.i64").get(1).asLong());
        assertEquals(32, fields.get("general.alignment").asInt());
        assertEquals("F16", tensors.get("t.f16").get("type").asText());
        assertEquals("BF16", tensors.get("t.bf16").get("type").asText());
        assertEquals("[2,2,2]", tensors.get("t.bf16").get("shape").toString());
        for (int i = 0; i < VALUES.length; i++) {
            assertEquals(VALUES[i], tensors.get("t.f32").get("values").get(i).floatValue());
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(VALUES[i])), tensors.get("t.f16").get("values").get(i).floatValue());
        }
        assertEquals(-16f, tensors.get("t.q8_0").get("values").get(0).floatValue());
        assertEquals(16f, tensors.get("t.q8_0").get("values").get(63).floatValue());
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary(@TempDir Path tmp) throws IOException {
        Path p = tmp.resolve("model.gguf");
        Files.writeString(p, "the old file");
        GGUFWriter w = new GGUFWriter().putString("general.architecture", "test")
                .tensor("ok", new long[] {4}, GGMLType.F32, new float[4])
                .tensor("fails", new long[] {1 << 20}, GGMLType.F32, sink -> {
                    for (int i = 0; i < 1000; i++) sink.putFloat(i);
                    throw new IOException("No space left on device");
                });
        GGUFWriteException e = assertThrows(GGUFWriteException.class, () -> w.write(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("No space left on device"), e.getMessage());
        assertEquals("the old file", Files.readString(p));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(p), s.toList(), "no temporary file left behind");
        }
    }

    @Test
    void aSourceWritingTheWrongSizeIsRefused(@TempDir Path tmp) {
        Path p = tmp.resolve("x.gguf");
        GGUFWriter w = new GGUFWriter().tensor("short", new long[] {4}, GGMLType.F32, sink -> sink.putFloat(1));
        assertThrows(IllegalStateException.class, () -> w.write(p));
        assertFalse(Files.exists(p));
    }

    @Test
    void aMissingDirectoryIsATypedError(@TempDir Path tmp) {
        Path p = tmp.resolve("no/such/dir/x.gguf");
        GGUFWriteException e = assertThrows(GGUFWriteException.class, () -> new GGUFWriter().write(p));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void metadataCopiedFromAnOpenFileIsWrittenAsStoredAndEqualsTheDecodedForm(@TempDir Path tmp) throws IOException {
        Path src = tmp.resolve("src.gguf");
        everything(32).write(src);
        Path stored = tmp.resolve("stored.gguf"), decoded = tmp.resolve("decoded.gguf"), changed = tmp.resolve("changed.gguf");
        try (GGUFFile f = GGUFFile.open(src)) {
            // as stored: the source is open while writing, so every key has its stored bytes to copy
            for (String k : f.metadata().keys()) assertNotNull(f.metadata().encoded(k), k);
            new GGUFWriter().putAll(f.metadata()).tensor("t", new long[] {4}, GGMLType.F32, new float[4]).write(stored);
            // a copied key overwritten afterwards is written from its new value
            new GGUFWriter().putAll(f.metadata()).putArray("a.str", GGUFValueType.STRING, new String[] {"new"})
                    .put("u8", GGUFValueType.UINT8, 7).tensor("t", new long[] {4}, GGMLType.F32, new float[4]).write(changed);
        }
        // from the values: the same writer contents, written after the source was closed
        GGUFWriter late;
        GGUFMetadata closed;
        try (GGUFFile f = GGUFFile.open(src)) {
            late = new GGUFWriter().putAll(f.metadata()).tensor("t", new long[] {4}, GGMLType.F32, new float[4]);
            closed = f.metadata();
        }
        for (String k : closed.keys()) assertNull(closed.encoded(k), k + ": no stored bytes once the file is closed");
        late.write(decoded);
        assertArrayEquals(Files.readAllBytes(decoded), Files.readAllBytes(stored), "stored bytes and re-encoded values give the same file");
        try (GGUFFile f = GGUFFile.open(changed)) {
            assertArrayEquals(new String[] {"new"}, f.metadata().stringArray("a.str"));
            assertEquals(7, f.metadata().integer("u8"));
            assertEquals("héllo ▁ wörld", f.metadata().string("str"));
            assertArrayEquals(new float[] {1.5f, -2f}, f.metadata().floatArray("a.f32"));
        }
    }

    @Test
    void aFileLargerThanTheWriteBackStepIsWrittenWhole(@TempDir Path tmp) throws IOException {
        // crosses the background write-back step (32 MiB) twice
        int n = 20 << 20;
        Path p = tmp.resolve("big.gguf");
        new GGUFWriter().putString("general.architecture", "test")
                .tensor("big", new long[] {n}, GGMLType.F32, sink -> {
                    for (int i = 0; i < n; i++) sink.putFloat(i);
                })
                .write(p);
        try (GGUFFile f = GGUFFile.open(p)) {
            MemorySegment d = f.tensorData(f.tensor("big"));
            for (int i = 0; i < n; i += 4099) assertEquals((float) i, d.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i));
            assertEquals((float) (n - 1), d.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, n - 1));
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(p), s.toList(), "no temporary file left behind");
        }
    }
}
