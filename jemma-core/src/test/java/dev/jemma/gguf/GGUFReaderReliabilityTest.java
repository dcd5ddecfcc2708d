package dev.jemma.gguf;

import dev.jemma.testutil.GgufBuilder;
import dev.jemma.testutil.TinyGemma;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static dev.jemma.testutil.GgufBuilder.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * docs/RELIABILITY.md, "GGUF files": malformed GGUF files give a
 * {@link ModelFormatException} naming the problem — never an OOM, an index error or a crash.
 * Runs in the "reliability" execution with -Xmx512m.
 */
@Tag("reliability")
@Timeout(10)
class GGUFReaderReliabilityTest {
    @TempDir
    Path tmp;

    Path write(byte[] bytes) throws Exception {
        Path f = Files.createTempFile(tmp, "bad", ".gguf");
        Files.write(f, bytes);
        return f;
    }

    void rejected(byte[] bytes, String... fragments) throws Exception {
        rejected(write(bytes), fragments);
    }

    static void rejected(Path file, String... fragments) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> {
            try (GGUFFile f = GGUFFile.open(file)) {
                fail("accepted: " + f.tensors().size() + " tensors");
            }
        });
        for (String s : fragments) {
            assertTrue(e.getMessage().toLowerCase(Locale.ROOT).contains(s.toLowerCase(Locale.ROOT)),
                    "message should mention '" + s + "': " + e.getMessage());
        }
    }

    /** A small valid file with one F32 tensor. */
    static GgufBuilder valid() {
        GgufBuilder g = new GgufBuilder();
        g.str("general.architecture", "gemma3");
        g.tensorF32("a", new long[] {8, 2}, new float[16]);
        return g;
    }

    @Test
    void theBaselineFilesAreAccepted() throws Exception {
        try (GGUFFile f = GGUFFile.open(write(valid().build()))) {
            assertEquals(1, f.tensors().size());
        }
        try (GGUFFile f = GGUFFile.open(TinyGemma.builder().write(tmp))) {
            assertEquals(2 + 13 * TinyGemma.LAYERS, f.tensors().size());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 23})
    void shorterThanTheHeader(int size) throws Exception {
        rejected(new byte[size], "not a GGUF file", size + " bytes");
    }

    @Test
    void badMagicNamesTheExpectedAndTheActualFormat() throws Exception {
        byte[] fugg = valid().build();
        fugg[0] = 'F'; fugg[1] = 'U'; fugg[2] = 'G'; fugg[3] = 'G';
        rejected(fugg, "GGUF");
        Buf st = new Buf().u64(20).bytes("{\"a\":{\"dtype\":\"F32\"}}    ".getBytes(StandardCharsets.US_ASCII));
        rejected(st.toBytesForTest(), "magic", "safetensors");
        byte[] png = new byte[64];
        png[0] = (byte) 0x89; png[1] = 'P'; png[2] = 'N'; png[3] = 'G';
        rejected(png, "GGUF", "PNG");
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 4, 0xFFFFFFFFL, 0})
    void unsupportedVersions(long version) throws Exception {
        GgufBuilder g = valid();
        g.version = version;
        rejected(g.build(), "unsupported GGUF version " + version, "supported: 3");
    }

    @ParameterizedTest
    @ValueSource(longs = {-1L, Long.MIN_VALUE, 1L << 40, 1000})
    void impossibleTensorCount(long n) throws Exception {
        GgufBuilder g = valid();
        g.tensorCountOverride = n;
        rejected(g.build(), "tensor count");
    }

    @ParameterizedTest
    @ValueSource(longs = {-1L, Long.MIN_VALUE, 1L << 40, 100_000})
    void impossibleMetadataCount(long n) throws Exception {
        GgufBuilder g = valid();
        g.kvCountOverride = n;
        rejected(g.build(), "metadata count");
    }

    @ParameterizedTest
    @ValueSource(longs = {-1L, 1L << 62, 17L << 20, 200})
    void keyLengthBeyondTheFileOrTheCap(long len) throws Exception {
        GgufBuilder g = valid();
        g.rawKv(new Buf().u64(len).bytes("general.name".getBytes(StandardCharsets.UTF_8)));
        rejected(g.build(), "offset");
    }

    @Test
    void stringValueLongerThanTheCapOrTheFile() throws Exception {
        rejected(valid().kv("general.name", STRING, b -> b.u64(100L << 20).bytes(new byte[16])).build(), "general.name", "length");
        rejected(valid().kv("general.name", STRING, b -> b.u64(-1L)).build(), "general.name", "length");
        rejected(valid().kv("general.name", STRING, b -> b.u64(4096).bytes(new byte[16])).build(), "general.name");
    }

    @Test
    void arrayCountsThatOverflowOrExceedTheFile() throws Exception {
        rejected(valid().kv("x.arr", ARRAY, b -> b.u32(UINT64).u64(Long.MAX_VALUE / 4)).build(), "x.arr");
        rejected(valid().kv("x.arr", ARRAY, b -> b.u32(FLOAT32).u64(1_000_000)).build(), "x.arr");
        rejected(valid().kv("x.arr", ARRAY, b -> b.u32(STRING).u64(-1L)).build(), "x.arr");
        rejected(valid().kv("x.arr", ARRAY, b -> b.u32(UINT8).u64(65L << 20)).build(), "x.arr");
        rejected(valid().kv("x.arr", ARRAY, b -> b.u32(ARRAY).u64(1).u32(UINT8).u64(1).u8(0)).build(), "x.arr", "array of arrays");
    }

    @ParameterizedTest
    @ValueSource(longs = {13, 255, 0xFFFFFFFFL})
    void unknownValueType(long type) throws Exception {
        rejected(valid().kv("x.y", (int) type, b -> b.u32(0)).build(), "x.y", "unknown value type");
        rejected(valid().kv("x.arr", ARRAY, b -> b.u32(type).u64(1).u32(0)).build(), "x.arr", "unknown element type");
    }

    @Test
    void duplicateKey() throws Exception {
        GgufBuilder g = valid();
        g.rawKv(new Buf().str("general.architecture").u32(STRING).str("gemma3"));
        rejected(g.build(), "duplicate metadata key", "general.architecture");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3, 13, 1L << 31})
    void badAlignmentValues(long a) throws Exception {
        rejected(valid().u32("general.alignment", a).build(), "general.alignment");
    }

    @Test
    void alignmentOfTheWrongType() throws Exception {
        rejected(valid().i32("general.alignment", 32).build(), "general.alignment", "UINT32");
        rejected(valid().str("general.alignment", "32").build(), "general.alignment", "UINT32");
    }

    @Test
    void badTensorNames() throws Exception {
        GgufBuilder g = valid();
        g.tensors.get(0).name = "x".repeat(64).getBytes(StandardCharsets.UTF_8);
        rejected(g.build(), "tensor name", "limit");
        g.tensors.get(0).name = new byte[0];
        rejected(g.build(), "empty name");
        g.tensors.get(0).name = new byte[] {'a', (byte) 0xC3, (byte) 0x28};
        rejected(g.build(), "UTF-8");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5})
    void badDimensionCount(int n) throws Exception {
        GgufBuilder g = valid();
        g.tensors.get(0).dims = new long[n];
        java.util.Arrays.fill(g.tensors.get(0).dims, 2);
        rejected(g.build(), "'a'", "dimensions");
    }

    @Test
    void negativeZeroAndOverflowingShapes() throws Exception {
        GgufBuilder g = valid();
        g.tensors.get(0).dims = new long[] {8, -2};
        rejected(g.build(), "'a'", "dimension 1");
        g.tensors.get(0).dims = new long[] {8, 0};
        rejected(g.build(), "'a'", "dimension 1");
        g.tensors.get(0).dims = new long[] {1L << 32, 1L << 32};
        rejected(g.build(), "'a'");
        g.tensors.get(0).dims = new long[] {1L << 21, 1L << 21, 1L << 21};
        rejected(g.build(), "'a'");
    }

    @ParameterizedTest
    @ValueSource(longs = {4, 5, 31, 99, 0xFFFFFFFFL})
    void unknownGgmlType(long type) throws Exception {
        GgufBuilder g = valid();
        g.tensors.get(0).type = type;
        rejected(g.build(), "'a'", "unknown ggml type id " + type);
    }

    @Test
    void quantizedRowNotAMultipleOfTheBlock() throws Exception {
        GgufBuilder g = new GgufBuilder();
        g.tensorRaw("q", new long[] {33, 1}, 2 /* Q4_0 */, new byte[40]);
        rejected(g.build(), "'q'", "block size 32");
    }

    @Test
    void unalignedOffset() throws Exception {
        GgufBuilder g = valid();
        g.tensors.get(0).offset = 4L;
        rejected(g.build(), "'a'", "alignment");
    }

    @Test
    void dataBeyondTheEndOfTheFile() throws Exception {
        GgufBuilder g = valid();
        g.tensors.get(0).offset = 1L << 20;
        rejected(g.build(), "'a'", "beyond the end");
        byte[] truncated = valid().build();
        rejected(java.util.Arrays.copyOf(truncated, truncated.length - 40), "'a'", "beyond the end");
    }

    @Test
    void overlappingTensors() throws Exception {
        GgufBuilder g = valid();
        g.tensorF32("z", new long[] {64}, new float[64]); // data up to byte 320, so b and c lie inside the file
        g.tensorF32("b", new long[] {8, 2}, new float[16]).offset = 32L;
        g.tensorF32("c", new long[] {8}, new float[8]).offset = 0L;
        rejected(g.build(), "overlap");
    }

    @Test
    void duplicateTensorNames() throws Exception {
        GgufBuilder g = valid();
        g.tensorF32("a", new long[] {8}, new float[8]);
        rejected(g.build(), "duplicate tensor name 'a'");
    }

    @Test
    void offsetArithmeticNearLongMaxIsAnErrorNotAWrap() throws Exception {
        GgufBuilder g = valid();
        g.tensors.get(0).offset = Long.MAX_VALUE - 31;
        rejected(g.build(), "'a'");
        g.tensors.get(0).offset = -32L; // 2^64 − 32 unsigned
        rejected(g.build(), "'a'");
        g.tensors.get(0).offset = Long.MAX_VALUE / 32 * 32;
        rejected(g.build(), "'a'");
    }
}
