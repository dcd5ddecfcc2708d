package dev.jemma.tokenizer;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.GGUFMetadata;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes a GGUF v3 file with metadata only (no tensors) and reads its metadata back, for tests. */
final class TinyGguf {
    // GGUF value type ids
    static final int UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, INT64 = 11;

    private final Map<String, byte[]> kv = new LinkedHashMap<>();

    TinyGguf string(String key, String v) {
        Buf b = new Buf();
        b.u32(STRING);
        b.str(v);
        kv.put(key, b.bytes());
        return this;
    }

    TinyGguf u32(String key, long v) {
        Buf b = new Buf();
        b.u32(UINT32);
        b.u32(v);
        kv.put(key, b.bytes());
        return this;
    }

    TinyGguf i32(String key, int v) {
        Buf b = new Buf();
        b.u32(INT32);
        b.u32(v);
        kv.put(key, b.bytes());
        return this;
    }

    TinyGguf strings(String key, String... v) {
        Buf b = new Buf();
        b.u32(ARRAY);
        b.u32(STRING);
        b.u64(v.length);
        for (String s : v) b.str(s);
        kv.put(key, b.bytes());
        return this;
    }

    TinyGguf floats(String key, float... v) {
        Buf b = new Buf();
        b.u32(ARRAY);
        b.u32(FLOAT32);
        b.u64(v.length);
        for (float f : v) b.u32(Float.floatToRawIntBits(f));
        kv.put(key, b.bytes());
        return this;
    }

    TinyGguf ints(String key, int... v) {
        Buf b = new Buf();
        b.u32(ARRAY);
        b.u32(INT32);
        b.u64(v.length);
        for (int i : v) b.u32(i);
        kv.put(key, b.bytes());
        return this;
    }

    TinyGguf remove(String key) {
        kv.remove(key);
        return this;
    }

    /** Writes the file into dir and returns its metadata. */
    GGUFMetadata metadata(Path dir) {
        try {
            Buf b = new Buf();
            b.u32(0x46554747L);
            b.u32(3);
            b.u64(0);
            b.u64(kv.size());
            for (Map.Entry<String, byte[]> e : kv.entrySet()) {
                b.str(e.getKey());
                b.out.write(e.getValue());
            }
            while (b.out.size() % 32 != 0) b.out.write(0);
            Path f = Files.createTempFile(dir, "tiny", ".gguf");
            Files.write(f, b.bytes());
            try (GGUFFile g = GGUFFile.open(f)) {
                return g.metadata();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final class Buf {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void u32(long v) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        }

        void u64(long v) {
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.writeBytes(b);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
