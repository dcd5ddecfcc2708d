package dev.jemma.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Files written by Java test code and by the real {@code safetensors} Python library
 * (conformance/gen_safetensors_fixtures.py, committed under fixtures/safetensors) read back with the
 * right names, dtypes, shapes and values.
 */
class SafetensorsRoundTripTest {
    static final float[] VALUES = {0f, -0f, 1f, -2.5f, 65504f, 0x1p-14f, 0x1p-24f, Float.POSITIVE_INFINITY};
    static final float[] BF16_VALUES = {0f, -0f, 1f, -2.5f, 0x1.fep127f, 0x1p-126f, 0x1p-133f, Float.NaN};

    @TempDir
    Path tmp;

    static Path fixtures() {
        return Assets.repoRoot().resolve("jemma-core/src/test/resources/fixtures/safetensors");
    }

    StBytes javaFile() {
        return new StBytes()
                .meta("format", "pt").meta("ünïcode", "✓")
                .f32("w.f32", new long[] {2, 3}, 1f, 2f, 3f, -4f, 5.5f, Float.MIN_VALUE)
                .add("w.f16", "F16", new long[] {8}, StBytes.f16(VALUES))
                .add("w.bf16", "BF16", new long[] {2, 2, 2}, StBytes.bf16(BF16_VALUES))
                .f32("scalar", new long[] {}, 7.25f)
                .f32("empty", new long[] {0, 5})
                .add("ids", "I64", new long[] {2}, StBytes.i64(-1, 1L << 50));
    }

    @Test
    void javaWrittenFileReadsBack() throws Exception {
        Path p = javaFile().reverseHeaderOrder().write(tmp.resolve("a.safetensors"));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(p, f.path());
            assertEquals(Map.of("format", "pt", "ünïcode", "✓"), f.metadata());
            // file order of the data, not the (reversed) header order
            assertEquals(List.of("w.f32", "w.f16", "w.bf16", "scalar", "empty", "ids"),
                    f.tensors().stream().map(SafetensorsTensor::name).toList());
            SafetensorsTensor a = f.tensor("w.f32");
            assertEquals(SafetensorsDtype.F32, a.dtype());
            assertArrayEquals(new long[] {2, 3}, a.shape());
            assertEquals(24, a.byteSize());
            assertEquals(8 + f.headerBytes(), a.offset());
            assertEquals(0, f.headerBytes() % 8);
            assertArrayEquals(new float[] {1f, 2f, 3f, -4f, 5.5f, Float.MIN_VALUE}, f.toFloats(a));
            assertEquals(-4f, f.data(a).get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 12));

            SafetensorsTensor h = f.tensor("w.f16");
            assertEquals(SafetensorsDtype.F16, h.dtype());
            assertArrayEquals(VALUES, f.toFloats(h));
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(f.toFloats(h)[1]));

            SafetensorsTensor b = f.tensor("w.bf16");
            assertEquals(SafetensorsDtype.BF16, b.dtype());
            assertArrayEquals(new long[] {2, 2, 2}, b.shape());
            assertArrayEquals(BF16_VALUES, f.toFloats(b));

            SafetensorsTensor s = f.tensor("scalar");
            assertEquals(0, s.rank());
            assertEquals(1, s.elementCount());
            assertArrayEquals(new float[] {7.25f}, f.toFloats(s));

            SafetensorsTensor e = f.tensor("empty");
            assertEquals(0, e.elementCount());
            assertEquals(0, f.data(e).byteSize());
            assertEquals(0, f.toFloats(e).length);

            SafetensorsTensor ids = f.tensor("ids");
            assertEquals(SafetensorsDtype.I64, ids.dtype());
            assertEquals(1L << 50, f.data(ids).get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8));
            SafetensorsFormatException x = assertThrows(SafetensorsFormatException.class, () -> f.toFloats(ids));
            assertTrue(x.getMessage().contains("dtype I64 is not supported here (supported: F32, F16, BF16)"), x.getMessage());
            assertTrue(x.getMessage().contains(p.toString()) && x.getMessage().contains("'ids'"), x.getMessage());
            assertEquals("ids", x.tensor());
            assertEquals(p, x.file());

            assertNull(f.tensor("nope"));
            SafetensorsTensor foreign = new SafetensorsTensor("w.f32", SafetensorsDtype.F32, new long[] {6}, 0, 24);
            assertThrows(IllegalArgumentException.class, () -> f.data(foreign));
        }
    }

    @Test
    void shapeIsCopiedInAndOut() {
        long[] shape = {2, 3};
        SafetensorsTensor t = new SafetensorsTensor("x", SafetensorsDtype.F32, shape, 8, 24);
        shape[0] = 99;
        t.shape()[1] = 99;
        assertArrayEquals(new long[] {2, 3}, t.shape());
    }

    @Test
    void closeIsIdempotentAndReleasesTheMapping() throws Exception {
        SafetensorsFile f = SafetensorsFile.open(javaFile().write(tmp.resolve("c.safetensors")));
        MemorySegment d = f.data(f.tensor("w.f32"));
        f.close();
        f.close();
        assertThrows(IllegalStateException.class, () -> d.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void checkpointOfASingleFileFolder() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("m"));
        javaFile().write(dir.resolve("model.safetensors"));
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertEquals(6, c.names().size());
            assertEquals(1, c.files().size());
            assertEquals(dir.resolve("model.safetensors"), c.tensor("w.f32").path());
            assertArrayEquals(new float[] {7.25f}, c.toFloats("scalar"));
            assertEquals(16, c.data("ids").byteSize());
            assertNull(c.tensor("nope"));
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> c.data("nope"));
            assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
        }
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir.resolve("model.safetensors"))) {
            assertEquals(6, c.names().size());
        }
    }

    @Test
    void javaWrittenShardedFolder() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("sh"));
        new StBytes().f32("b", new long[] {2}, 1f, 2f).f32("a", new long[] {1}, 3f).write(dir.resolve("s1.safetensors"));
        new StBytes().add("c", "BF16", new long[] {2}, StBytes.bf16(-1f, 0.5f)).write(dir.resolve("s2.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"metadata": {"total_size": 16, "nested": {"x": 1}},
                 "weight_map": {"a": "s1.safetensors", "c": "s2.safetensors", "b": "s1.safetensors"}}""");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertEquals(List.of("b", "a", "c"), c.names());
            assertEquals(2, c.files().size());
            assertEquals(Map.of("total_size", "16"), c.indexMetadata());
            assertEquals(dir.resolve("s2.safetensors"), c.tensor("c").path());
            assertArrayEquals(new float[] {-1f, 0.5f}, c.toFloats("c"));
            assertArrayEquals(new float[] {3f}, c.toFloats("a"));
        }
    }

    @Test
    void pythonWrittenFixtures() throws Exception {
        checkFixtures(fixtures());
    }

    /**
     * The committed fixtures match what the pinned generator writes now, and the Python library reads a
     * Java-written file with the same values. Needs JEMMA_PYTHON (the conformance venv).
     */
    @Test
    void pythonLibraryNow() throws Exception {
        String python = System.getenv("JEMMA_PYTHON");
        if (python == null || python.isBlank()) {
            String msg = "JEMMA_PYTHON (the conformance venv's python, with safetensors and torch) is not set";
            if (Assets.required()) Assertions.fail(msg);
            Assumptions.abort(msg);
        }
        Path out = tmp.resolve("fresh");
        run(python, Assets.repoRoot().resolve("conformance/gen_safetensors_fixtures.py").toString(), out.toString());
        checkFixtures(out);
        // the same content as the committed files (not the same bytes: the writer orders __metadata__ by hash)
        for (String f : List.of("single/expected.json", "sharded/expected.json", "sharded/model.safetensors.index.json")) {
            assertEquals(Files.readString(fixtures().resolve(f)), Files.readString(out.resolve(f)), f);
        }
        for (String f : List.of("single/model.safetensors", "sharded/model-00001-of-00002.safetensors",
                "sharded/model-00002-of-00002.safetensors")) {
            try (SafetensorsFile a = SafetensorsFile.open(fixtures().resolve(f)); SafetensorsFile b = SafetensorsFile.open(out.resolve(f))) {
                assertEquals(a.metadata(), b.metadata(), f);
                assertEquals(a.tensors().stream().map(SafetensorsTensor::toString).toList(),
                        b.tensors().stream().map(SafetensorsTensor::toString).toList(), f);
                for (SafetensorsTensor t : a.tensors()) {
                    assertEquals(-1, a.data(t).mismatch(b.data(b.tensor(t.name()))), f + " " + t.name());
                }
            }
        }

        Path mine = javaFile().write(tmp.resolve("java.safetensors"));
        String script = """
                import json, sys, torch
                from safetensors import safe_open
                out = {}
                with safe_open(sys.argv[1], "pt") as f:
                    out["__metadata__"] = f.metadata()
                    for k in f.keys():
                        t = f.get_tensor(k)
                        v = t.to(torch.float32).flatten().view(torch.int32).tolist() if t.is_floating_point() else t.flatten().tolist()
                        out[k] = {"dtype": str(t.dtype), "shape": list(t.shape), "values": v}
                print(json.dumps(out))
                """;
        JsonNode r = StBytes.JSON.readTree(run(python, "-c", script, mine.toString()));
        assertEquals("✓", r.get("__metadata__").get("ünïcode").asText());
        assertEquals("torch.bfloat16", r.get("w.bf16").get("dtype").asText());
        assertEquals("[2,2,2]", r.get("w.bf16").get("shape").toString());
        assertEquals("torch.float16", r.get("w.f16").get("dtype").asText());
        for (int i = 0; i < 8; i++) {
            assertEquals(Float.floatToRawIntBits(VALUES[i]), r.get("w.f16").get("values").get(i).asInt());
            assertEquals(Float.floatToRawIntBits(BF16_VALUES[i]), r.get("w.bf16").get("values").get(i).asInt());
        }
        assertEquals("[]", r.get("scalar").get("shape").toString());
        assertEquals(1L << 50, r.get("ids").get("values").get(1).asLong());
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), err);
        return out;
    }

    static void checkFixtures(Path root) throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(root.resolve("single/model.safetensors"))) {
            JsonNode exp = StBytes.JSON.readTree(root.resolve("single/expected.json").toFile());
            assertEquals(Map.of("format", "pt", "source", "jemma conformance"), f.metadata());
            assertEquals(exp.get("tensors").size(), f.tensors().size());
            long end = 8 + f.headerBytes();
            for (SafetensorsTensor t : f.tensors()) {
                assertEquals(end, t.offset(), t.name()); // contiguous, in offset order
                end += t.byteSize();
                float[] floats = switch (t.dtype()) { case F32, F16, BF16 -> f.toFloats(t); default -> null; };
                checkTensor(t, exp.get("tensors").get(t.name()), floats, f.data(t));
            }
            assertEquals(f.fileSize(), end);
            for (String n : List.of("layers.0.f16", "layers.0.bf16", "model.embed_tokens.weight", "scalar", "empty", "ids", "bytes", "doubles")) {
                assertNotNull(f.tensor(n), n);
            }
            assertEquals(SafetensorsDtype.U8, f.tensor("bytes").dtype());
            assertEquals(SafetensorsDtype.F64, f.tensor("doubles").dtype());
        }
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(root.resolve("sharded"))) {
            JsonNode exp = StBytes.JSON.readTree(root.resolve("sharded/expected.json").toFile());
            assertEquals(2, c.files().size());
            assertEquals(exp.get("tensors").size(), c.names().size());
            assertEquals(List.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"),
                    c.files().stream().map(f -> f.path().getFileName().toString()).toList());
            long total = 0;
            for (String n : c.names()) {
                SafetensorsCheckpoint.Entry e = c.tensor(n);
                assertEquals(Map.of("format", "pt"), e.file().metadata());
                checkTensor(e.tensor(), exp.get("tensors").get(n), c.toFloats(n), c.data(n));
                total += e.tensor().byteSize();
            }
            assertEquals(String.valueOf(total), c.indexMetadata().get("total_size"));
            Iterator<String> it = exp.get("tensors").fieldNames();
            List<String> expectedNames = new ArrayList<>();
            it.forEachRemaining(expectedNames::add);
            assertEquals(expectedNames.stream().sorted().toList(), c.names().stream().sorted().toList());
        }
    }

    static void checkTensor(SafetensorsTensor t, JsonNode exp, float[] floats, MemorySegment data) {
        assertNotNull(exp, t.name());
        assertEquals(exp.get("dtype").asText(), t.dtype().name(), t.name());
        long[] shape = new long[exp.get("shape").size()];
        for (int i = 0; i < shape.length; i++) shape[i] = exp.get("shape").get(i).asLong();
        assertArrayEquals(shape, t.shape(), t.name());
        JsonNode v = exp.get("values");
        assertEquals(v.size(), t.elementCount(), t.name());
        assertEquals(t.byteSize(), data.byteSize());
        for (int i = 0; i < v.size(); i++) {
            switch (t.dtype()) {
                case F32, F16, BF16 -> assertEquals(v.get(i).asInt(), Float.floatToRawIntBits(floats[i]), t.name() + "[" + i + "]");
                case F64 -> assertEquals(v.get(i).asInt(), Float.floatToRawIntBits(
                        (float) data.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i)), t.name());
                case I64 -> assertEquals(v.get(i).asLong(), data.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i), t.name());
                case U8 -> assertEquals(v.get(i).asInt(), data.get(ValueLayout.JAVA_BYTE, i) & 0xFF, t.name());
                default -> fail("unexpected dtype " + t.dtype());
            }
        }
    }
}
