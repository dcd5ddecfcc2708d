package dev.jemma.safetensors;

import dev.jemma.gguf.ModelFormatException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.*;

/**
 * docs/RELIABILITY.md, "Safetensors files": every malformed safetensors file or weights folder gives a
 * {@link SafetensorsFormatException} (a {@link ModelFormatException}) naming the file and the tensor —
 * never an index, number-format, JSON-library or out-of-memory error. Runs with -Xmx512m.
 */
@Tag("reliability")
@Timeout(20)
class SafetensorsReliabilityTest {
    @TempDir
    Path tmp;

    static final byte[] DATA8 = new byte[8];

    Path write(byte[] bytes) throws Exception {
        Path f = Files.createTempFile(tmp, "bad", ".safetensors");
        Files.write(f, bytes);
        return f;
    }

    /** The file is refused; the message names it and contains each fragment (case-insensitive). */
    SafetensorsFormatException rejected(byte[] bytes, String... fragments) throws Exception {
        Path p = write(bytes);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> {
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                fail("accepted: " + f.tensors());
            }
        });
        assertMentions(e, p, fragments);
        return e;
    }

    /** A header (padded) with this data. */
    SafetensorsFormatException rejected(String header, byte[] data, String... fragments) throws Exception {
        return rejected(StBytes.file(header, data), fragments);
    }

    static void assertMentions(Exception e, Path file, String... fragments) {
        String m = e.getMessage();
        assertTrue(m.contains(file.toString()), "message should name the file " + file + ": " + m);
        for (String s : fragments) {
            assertTrue(m.toLowerCase(Locale.ROOT).contains(s.toLowerCase(Locale.ROOT)), "message should mention '" + s + "': " + m);
        }
    }

    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void baselineAccepted() throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(write(StBytes.file("{" + entry("a", "F32", "[2]", 0, 8) + "}", DATA8)))) {
            assertEquals(1, f.tensors().size());
        }
        // the smallest file: no tensors, no data
        try (SafetensorsFile f = SafetensorsFile.open(write(StBytes.file("{}", new byte[0])))) {
            assertEquals(0, f.tensors().size());
        }
        // padding with trailing white space, leading white space, __metadata__: null, unknown fields ignored
        String h = " {\"__metadata__\":null," + entry("a", "F32", "[2]", 0, 8).replace("}", ",\"extra\":[1,{\"x\":2}]}") + "}\n\t  ";
        try (SafetensorsFile f = SafetensorsFile.open(write(StBytes.file(h, DATA8)))) {
            assertEquals(0, f.metadata().size());
            assertEquals(8, f.tensor("a").byteSize());
        }
    }

    @Test
    void isAModelFormatException() {
        assertInstanceOf(ModelFormatException.class, new SafetensorsFormatException(Path.of("x"), null, "y"));
        assertEquals("x: tensor 'a\\u000ab': y", new SafetensorsFormatException(Path.of("x"), "a\nb", "y").getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 7})
    void shorterThanTheLengthField(int size) throws Exception {
        rejected(new byte[size], "shorter than the 8-byte header length", size + " bytes");
    }

    @Test
    void missingFileAndDirectory() throws Exception {
        Path missing = tmp.resolve("nope.safetensors");
        assertMentions(assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(missing)), missing, "not found");
        assertMentions(assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(tmp)), tmp, "directory");
    }

    @Test
    void truncatedFile() throws Exception {
        byte[] ok = new StBytes().f32("a", new long[] {4}, 1, 2, 3, 4).f32("b", new long[] {2}, 5, 6).build();
        rejected(Arrays.copyOf(ok, ok.length - 1), "'b'", "past the end of the file", "truncated");
        rejected(Arrays.copyOf(ok, ok.length - 8), "'b'", "past the end");
        rejected(Arrays.copyOf(ok, ok.length - 9), "'a'", "past the end");
        // cut inside the header
        rejected(Arrays.copyOf(ok, 20), "header length", "past the end of the file");
    }

    @Test
    void headerLengthBeyondTheFile() throws Exception {
        byte[] h = "{}".getBytes(StandardCharsets.US_ASCII);
        rejected(StBytes.raw(3, h, new byte[0]), "header length 3 runs past the end of the file (10 bytes)");
        rejected(StBytes.raw(1000, h, new byte[0]), "header length 1000", "past the end");
    }

    @ParameterizedTest
    @ValueSource(longs = {Long.MIN_VALUE, -1L, 100_000_001L, Long.MAX_VALUE, 1L << 40})
    void headerLengthHuge(long n) throws Exception {
        rejected(StBytes.raw(n, "{}".getBytes(StandardCharsets.US_ASCII), new byte[0]),
                "header length " + Long.toUnsignedString(n) + " is above the limit of 100000000 bytes");
    }

    @Test
    void otherFormatsAreRecognised() throws Exception {
        byte[] gguf = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).array();
        rejected(gguf, "looks like a GGUF file");
        rejected("PK\u0003\u0004aaaaaaaaaaaaaaaaaaaaaaaaaaa".getBytes(StandardCharsets.ISO_8859_1), "zip");
    }

    @Test
    void headerNotJson() throws Exception {
        rejected("{not json}", new byte[0], "not valid JSON");
        rejected("{\"a\":", new byte[0], "not valid JSON");
        rejected("{\"__metadata__\":{},}", new byte[0], "not valid JSON");
        rejected("{'a':1}", new byte[0], "not valid JSON");
        rejected("{\"a\":NaN}", new byte[0], "not valid JSON");
        rejected("{} {}", new byte[0], "after its JSON object");
        rejected("{}x", new byte[0], "not valid JSON");
        rejected("{\"a\":{\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}}", new byte[0], "not valid JSON", "nesting depth");
        rejected("{\"a\":" + "[".repeat(500) + "]".repeat(500) + "}", new byte[0], "'a'", "must be an object");
        rejected("       ", new byte[0], "empty");
        rejected(StBytes.raw(0, new byte[0], new byte[0]), "empty");
        // NUL padding (not white space in JSON), and a header that Jackson would otherwise guess is UTF-16
        rejected(StBytes.raw(8, "{}\0\0\0\0\0\0".getBytes(StandardCharsets.US_ASCII), new byte[0]), "not valid JSON");
        rejected(StBytes.raw(4, "\0{\0}".getBytes(StandardCharsets.US_ASCII), new byte[0]), "not valid JSON");
    }

    @Test
    void headerNotUtf8() throws Exception {
        byte[] h = "{\"a\u00ff\":1}".getBytes(StandardCharsets.ISO_8859_1);
        rejected(StBytes.raw(h.length, h, new byte[0]), "not valid UTF-8", "byte 11");
        byte[] overlong = {'{', '"', (byte) 0xC0, (byte) 0xAF, '"', ':', '1', '}'};
        rejected(StBytes.raw(overlong.length, overlong, new byte[0]), "not valid UTF-8");
        byte[] surrogate = {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ':', '1', '}'};
        rejected(StBytes.raw(surrogate.length, surrogate, new byte[0]), "not valid UTF-8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "[{}]", "\"x\"", "42", "null", "true"})
    void headerNotAnObject(String h) throws Exception {
        rejected(h, new byte[0], "not a JSON object");
    }

    @Test
    void duplicateKeys() throws Exception {
        rejected("{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("a", "F32", "[1]", 4, 8) + "}", DATA8, "tensor 'a'", "appears twice");
        rejected("{\"__metadata__\":{},\"__metadata__\":{}}", new byte[0], "\"__metadata__\" appears twice");
        rejected("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", new byte[0], "has the key \"k\" twice");
        rejected("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4], "'a'", "\"dtype\" appears twice");
        rejected("{\"a\":{\"dtype\":\"F32\",\"x\":1,\"x\":2,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4], "'a'", "\"x\" appears twice");
    }

    @Test
    void wrongFieldTypes() throws Exception {
        rejected("{\"a\":[1,2]}", new byte[0], "tensor 'a'", "must be an object", "found an array");
        rejected("{\"a\":null}", new byte[0], "tensor 'a'", "found null");
        rejected("{\"a\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4], "'a'", "\"dtype\" must be a string, found an integer");
        rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", new byte[4], "'a'", "\"shape\" must be an array");
        rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", new byte[4], "'a'", "\"shape\" element 0", "non-integer");
        rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1e0],\"data_offsets\":[0,4]}}", new byte[4], "'a'", "non-integer");
        rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", new byte[4], "'a'", "found a string");
        rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[[1]],\"data_offsets\":[0,4]}}", new byte[4], "'a'", "found an array");
        rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"0\":4}}}", new byte[4], "'a'", "\"data_offsets\" must be an array");
        rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,true]}}", new byte[4], "'a'", "found a boolean");
        rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", new byte[4], "'a'", "[begin, end]", "1 numbers");
        rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,4]}}", new byte[4], "'a'", "more than 2");
        rejected("{\"__metadata__\":[\"x\"]}", new byte[0], "\"__metadata__\" must be an object of strings");
        rejected("{\"__metadata__\":{\"k\":1}}", new byte[0], "value of \"k\" must be a string, found an integer");
        rejected("{\"__metadata__\":{\"k\":{}}}", new byte[0], "value of \"k\" must be a string, found an object");
    }

    @Test
    void missingFields() throws Exception {
        rejected("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4], "'a'", "no \"dtype\"");
        rejected("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4], "'a'", "no \"shape\"");
        rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4], "'a'", "no \"data_offsets\"");
        rejected("{\"a\":{}}", new byte[0], "'a'", "no \"dtype\"");
    }

    @Test
    void badShapes() throws Exception {
        rejected("{" + entry("a", "F32", "[-1]", 0, 4) + "}", new byte[4], "'a'", "element 0 = -1 is negative");
        rejected("{" + entry("a", "F32", "[2,-3]", 0, 4) + "}", new byte[4], "'a'", "element 1 = -3 is negative");
        rejected("{" + entry("a", "F32", "[18446744073709551616]", 0, 4) + "}", new byte[4], "'a'", "out of range");
        rejected("{" + entry("a", "F32", "[-9223372036854775809]", 0, 4) + "}", new byte[4], "'a'", "out of range");
        rejected("{" + entry("a", "F32", "[1" + "0".repeat(2000) + "]", 0, 4) + "}", new byte[4], "not valid JSON");
        rejected("{" + entry("a", "F32", "[1099511627776,1099511627776]", 0, 4) + "}", new byte[4], "'a'", "overflows");
        rejected("{" + entry("a", "F32", "[4611686018427387904]", 0, 4) + "}", new byte[4], "'a'", "overflows");
        rejected("{" + entry("a", "U8", "[3037000500,3037000500]", 0, 4) + "}", new byte[4], "'a'", "overflows");
        String dims65 = "[" + "1,".repeat(64) + "1]";
        rejected("{" + entry("a", "F32", dims65, 0, 4) + "}", new byte[4], "'a'", "more than 64 elements");
        String dims64 = "[" + "1,".repeat(63) + "1]";
        try (SafetensorsFile f = SafetensorsFile.open(write(StBytes.file("{" + entry("a", "F32", dims64, 0, 4) + "}", new byte[4])))) {
            assertEquals(64, f.tensor("a").rank());
        }
        // a zero dimension with a non-zero size
        rejected("{" + entry("a", "F32", "[0,3]", 0, 4) + "}", new byte[4], "'a'", "hold 4 bytes", "needs 0");
    }

    @Test
    void badOffsets() throws Exception {
        // end before begin
        rejected("{" + entry("a", "F32", "[1]", 4, 0) + "}", new byte[4], "'a'", "[4, 0] end before they begin");
        // overlapping
        rejected("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}", new byte[12],
                "'b'", "overlap tensor 'a' [0, 8]");
        // the same range twice
        rejected("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 0, 8) + "}", new byte[8], "overlap");
        // a gap at the start and between tensors
        rejected("{" + entry("a", "F32", "[1]", 4, 8) + "}", new byte[8], "'a'", "gap of 4 bytes after the start of the data");
        rejected("{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 8, 12) + "}", new byte[12],
                "'b'", "gap of 4 bytes after tensor 'a'");
        // out of header order is fine (sorted), but not covering the buffer is not
        try (SafetensorsFile f = SafetensorsFile.open(write(StBytes.file(
                "{" + entry("b", "F32", "[1]", 4, 8) + "," + entry("a", "F32", "[1]", 0, 4) + "}", new byte[8])))) {
            assertEquals("a", f.tensors().get(0).name());
        }
        rejected("{" + entry("a", "F32", "[1]", 0, 4) + "}", new byte[8], "8 bytes after the header but the tensors cover 4");
        rejected("{}", new byte[1], "1 bytes after the header but the tensors cover 0");
        // offsets past the buffer, and near Long.MAX_VALUE
        rejected("{" + entry("a", "F32", "[1]", 0, 4) + "}", new byte[2], "'a'", "past the end of the file");
        rejected("{" + entry("a", "U8", "[9223372036854775807]", 0, Long.MAX_VALUE) + "}", new byte[2], "'a'", "past the end");
        rejected("{" + entry("a", "U8", "[1]", Long.MAX_VALUE, Long.MAX_VALUE) + "}", new byte[2], "'a'", "gap");
        rejected("{" + entry("a", "F32", "[1]", 0, -4) + "}", new byte[4], "'a'", "\"data_offsets\" element 1 = -4 is negative");
    }

    @Test
    void sizeNotShapeTimesDtype() throws Exception {
        rejected("{" + entry("a", "F32", "[3]", 0, 8) + "}", DATA8, "'a'", "[0, 8] hold 8 bytes but shape [3] of F32 needs 12");
        rejected("{" + entry("a", "BF16", "[2,2]", 0, 4) + "}", new byte[4], "'a'", "needs 8");
        rejected("{" + entry("a", "F64", "[]", 0, 4) + "}", new byte[4], "'a'", "shape [] of F64 needs 8");
    }

    @Test
    void unknownDtypes() throws Exception {
        rejected("{" + entry("w.q", "F128", "[1]", 0, 4) + "}", new byte[4], "tensor 'w.q'", "unknown dtype \"F128\"");
        rejected("{" + entry("w.q", "f32", "[1]", 0, 4) + "}", new byte[4], "'w.q'", "unknown dtype \"f32\"");
        rejected("{" + entry("w.q", "", "[1]", 0, 4) + "}", new byte[4], "'w.q'", "unknown dtype \"\"");
        rejected("{" + entry("w.q", "F4", "[8]", 0, 4) + "}", new byte[4], "'w.q'", "dtype \"F4\"", "not supported");
        for (SafetensorsDtype d : SafetensorsDtype.values()) {
            byte[] data = new byte[3 * d.byteSize()];
            try (SafetensorsFile f = SafetensorsFile.open(write(StBytes.file("{" + entry("t", d.name(), "[3]", 0, data.length) + "}", data)))) {
                assertEquals(d, f.tensor("t").dtype());
            }
        }
    }

    @Test
    void tooManyTensors() throws Exception {
        StringBuilder h = new StringBuilder("{");
        for (int i = 0; i <= SafetensorsFile.MAX_TENSORS; i++) {
            if (i > 0) h.append(',');
            h.append(entry("t" + i, "U8", "[0]", 0, 0));
        }
        rejected(h.append('}').toString(), new byte[0], "more than " + SafetensorsFile.MAX_TENSORS + " tensors");
    }

    // ---- weights folders

    Path folder(String name) throws Exception {
        Path d = Files.createDirectory(tmp.resolve(name));
        new StBytes().f32("a", new long[] {1}, 1f).f32("b", new long[] {1}, 2f).write(d.resolve("s1.safetensors"));
        new StBytes().f32("c", new long[] {1}, 3f).write(d.resolve("s2.safetensors"));
        return d;
    }

    SafetensorsFormatException rejectedFolder(Path dir, String index, Path named, String... fragments) throws Exception {
        if (index != null) Files.writeString(dir.resolve("model.safetensors.index.json"), index);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> {
            try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
                fail("accepted: " + c.names());
            }
        });
        assertMentions(e, named, fragments);
        return e;
    }

    static String index(String... pairs) {
        StringBuilder s = new StringBuilder("{\"metadata\":{\"total_size\":12},\"weight_map\":{");
        for (int i = 0; i < pairs.length; i += 2) {
            if (i > 0) s.append(',');
            s.append('"').append(pairs[i]).append("\":\"").append(pairs[i + 1]).append('"');
        }
        return s.append("}}").toString();
    }

    @Test
    void theBaselineFolderOpens() throws Exception {
        Path d = folder("ok");
        Files.writeString(d.resolve("model.safetensors.index.json"), index("a", "s1.safetensors", "b", "s1.safetensors", "c", "s2.safetensors"));
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(d)) {
            assertEquals(3, c.names().size());
        }
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(d.resolve("model.safetensors.index.json"))) {
            assertEquals(3, c.names().size());
        }
    }

    @Test
    void noWeights() throws Exception {
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        rejectedFolder(empty, null, empty, "no weights", "model.safetensors", "model.safetensors.index.json");
        Path missing = tmp.resolve("missing");
        rejectedFolder(missing, null, missing, "not found");
        Path d = folder("w");
        Path idx = d.resolve("model.safetensors.index.json");
        rejectedFolder(d, "{\"weight_map\":{}}", idx, "no weights", "empty");
        rejectedFolder(d, "{\"metadata\":{}}", idx, "no \"weight_map\"");
    }

    @Test
    void badIndexJson() throws Exception {
        Path d = folder("j");
        Path idx = d.resolve("model.safetensors.index.json");
        rejectedFolder(d, "{\"weight_map\":", idx, "not valid JSON");
        rejectedFolder(d, "[]", idx, "not a JSON object");
        rejectedFolder(d, "", idx, "not a JSON object");
        rejectedFolder(d, "{\"weight_map\":[]}", idx, "\"weight_map\" must be an object");
        rejectedFolder(d, "{\"weight_map\":{\"a\":1}}", idx, "tensor 'a'", "must be a shard file name");
        rejectedFolder(d, "{\"weight_map\":{\"a\":\"s1.safetensors\",\"a\":\"s1.safetensors\"}}", idx, "tensor 'a'", "appears twice");
        rejectedFolder(d, "{\"weight_map\":{\"a\":\"s1.safetensors\"},\"weight_map\":{}}", idx, "\"weight_map\" appears twice");
        rejectedFolder(d, "{\"weight_map\":{}} x", idx, "not valid JSON");
        Files.write(idx, new byte[] {'{', '"', (byte) 0xFF, '"', ':', '1', '}'});
        rejectedFolder(d, null, idx, "not valid UTF-8");
    }

    @Test
    void missingShard() throws Exception {
        Path d = folder("m");
        rejectedFolder(d, index("a", "s1.safetensors", "b", "s1.safetensors", "c", "s3.safetensors"),
                d.resolve("model.safetensors.index.json"), "shard \"s3.safetensors\"", "missing");
        Files.createDirectory(d.resolve("dir.safetensors"));
        rejectedFolder(d, index("a", "s1.safetensors", "b", "s1.safetensors", "c", "dir.safetensors"),
                d.resolve("model.safetensors.index.json"), "not a regular file");
    }

    @Test
    void shardNamesOutsideTheFolder() throws Exception {
        Path d = folder("p");
        Path idx = d.resolve("model.safetensors.index.json");
        Path sub = Files.createDirectory(d.resolve("sub"));
        Files.copy(d.resolve("s2.safetensors"), sub.resolve("s2.safetensors"));
        Files.copy(d.resolve("s2.safetensors"), tmp.resolve("s2.safetensors"));
        for (String bad : new String[] {"../s2.safetensors", "sub/s2.safetensors", "sub\\\\s2.safetensors", tmp.resolve("s2.safetensors").toString(),
                "..", ".", "", "./s2.safetensors", "\\u0000s2.safetensors"}) {
            rejectedFolder(d, index("a", "s1.safetensors", "b", "s1.safetensors", "c", bad), idx, "tensor 'c'", "shard name",
                    "plain file names inside");
        }
    }

    @Test
    void indexAndShardsDisagree() throws Exception {
        Path d = folder("x");
        Path idx = d.resolve("model.safetensors.index.json");
        // the weight map names a tensor its shard does not have
        rejectedFolder(d, index("a", "s1.safetensors", "b", "s1.safetensors", "c", "s2.safetensors", "zz", "s2.safetensors"),
                idx, "tensor 'zz'", "puts it in shard \"s2.safetensors\", which has no such tensor");
        // a tensor in the wrong shard
        rejectedFolder(d, index("a", "s2.safetensors", "b", "s1.safetensors", "c", "s2.safetensors"),
                d.resolve("s1.safetensors"), "tensor 'a'", "puts it in \"s2.safetensors\"");
        // a tensor of a shard missing from the weight map
        rejectedFolder(d, index("a", "s1.safetensors", "c", "s2.safetensors"), d.resolve("s1.safetensors"), "tensor 'b'", "not in the weight_map");
        // the same tensor in two shards
        new StBytes().f32("c", new long[] {1}, 3f).f32("a", new long[] {1}, 9f).write(d.resolve("s2.safetensors"));
        rejectedFolder(d, index("a", "s1.safetensors", "b", "s1.safetensors", "c", "s2.safetensors"),
                d.resolve("s2.safetensors"), "tensor 'a'", "in two shards: s1.safetensors and s2.safetensors");
        // a bad shard is reported as itself
        Files.write(d.resolve("s2.safetensors"), new byte[3]);
        rejectedFolder(d, index("a", "s1.safetensors", "b", "s1.safetensors", "c", "s2.safetensors"),
                d.resolve("s2.safetensors"), "shorter than");
    }
}
