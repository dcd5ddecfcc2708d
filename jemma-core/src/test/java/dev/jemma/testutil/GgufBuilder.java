package dev.jemma.testutil;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes GGUF files for tests, valid or deliberately broken: every header field, key, value type,
 * count, length, tensor dimension, type id and offset can be set to any raw value.
 */
public final class GgufBuilder {
    public static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
            BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;

    /** Little-endian byte writer. */
    public static final class Buf {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Buf u8(int v) { out.write(v); return this; }
        public Buf u32(long v) { out.writeBytes(le(4).putInt((int) v).array()); return this; }
        public Buf u64(long v) { out.writeBytes(le(8).putLong(v).array()); return this; }
        public Buf f32(float v) { out.writeBytes(le(4).putFloat(v).array()); return this; }
        public Buf bytes(byte[] b) { out.writeBytes(b); return this; }
        public Buf str(String s) { byte[] b = s.getBytes(StandardCharsets.UTF_8); u64(b.length); out.writeBytes(b); return this; }
        public int size() { return out.size(); }
        byte[] toBytes() { return out.toByteArray(); }
        public byte[] toBytesForTest() { return out.toByteArray(); }

        private static ByteBuffer le(int n) { return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN); }
    }

    /** One tensor info plus its data; offset null = placed automatically after the previous tensor. */
    public static final class Tensor {
        public byte[] name;
        public long[] dims;
        public long type;
        public Long offset;
        public byte[] data;

        Tensor(String name, long[] dims, long type, byte[] data) {
            this.name = name.getBytes(StandardCharsets.UTF_8);
            this.dims = dims;
            this.type = type;
            this.data = data;
        }
    }

    public int magic = 0x46554747;
    public long version = 3;
    public Long tensorCountOverride;
    public Long kvCountOverride;
    public int alignment = 32;
    private final Map<String, byte[]> kv = new LinkedHashMap<>();
    private final List<byte[]> rawKv = new ArrayList<>();
    public final List<Tensor> tensors = new ArrayList<>();

    /** A key with a value written by {@code value} after its type id. */
    public GgufBuilder kv(String key, int type, Consumer<Buf> value) {
        Buf b = new Buf().u32(type);
        value.accept(b);
        kv.put(key, b.toBytes());
        return this;
    }

    /** Raw bytes appended to the metadata section as one more entry (key included). */
    public GgufBuilder rawKv(Buf entry) {
        rawKv.add(entry.toBytes());
        return this;
    }

    public GgufBuilder remove(String key) {
        kv.remove(key);
        return this;
    }

    public GgufBuilder u32(String key, long v) { return kv(key, UINT32, b -> b.u32(v)); }
    public GgufBuilder u64(String key, long v) { return kv(key, UINT64, b -> b.u64(v)); }
    public GgufBuilder i32(String key, int v) { return kv(key, INT32, b -> b.u32(v)); }
    public GgufBuilder f32(String key, float v) { return kv(key, FLOAT32, b -> b.f32(v)); }
    public GgufBuilder bool(String key, boolean v) { return kv(key, BOOL, b -> b.u8(v ? 1 : 0)); }
    public GgufBuilder str(String key, String v) { return kv(key, STRING, b -> b.str(v)); }

    public GgufBuilder strings(String key, List<String> v) {
        return kv(key, ARRAY, b -> { b.u32(STRING).u64(v.size()); v.forEach(b::str); });
    }

    public GgufBuilder floats(String key, float[] v) {
        return kv(key, ARRAY, b -> { b.u32(FLOAT32).u64(v.length); for (float f : v) b.f32(f); });
    }

    public GgufBuilder ints(String key, int[] v) {
        return kv(key, ARRAY, b -> { b.u32(INT32).u64(v.length); for (int i : v) b.u32(i); });
    }

    /** An F32 tensor; dims in ggml order (dims[0] innermost). */
    public Tensor tensorF32(String name, long[] dims, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        Tensor t = new Tensor(name, dims, 0, b.array());
        tensors.add(t);
        return t;
    }

    public Tensor tensorRaw(String name, long[] dims, long type, byte[] data) {
        Tensor t = new Tensor(name, dims, type, data);
        tensors.add(t);
        return t;
    }

    public Tensor tensor(String name) {
        for (Tensor t : tensors) if (new String(t.name, StandardCharsets.UTF_8).equals(name)) return t;
        return null;
    }

    public byte[] build() {
        Buf b = new Buf();
        b.u32(magic & 0xFFFFFFFFL).u32(version);
        b.u64(tensorCountOverride != null ? tensorCountOverride : tensors.size());
        b.u64(kvCountOverride != null ? kvCountOverride : kv.size() + rawKv.size());
        for (Map.Entry<String, byte[]> e : kv.entrySet()) b.str(e.getKey()).bytes(e.getValue());
        for (byte[] r : rawKv) b.bytes(r);
        long next = 0;
        long[] offsets = new long[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            offsets[i] = t.offset != null ? t.offset : next;
            next = align(offsets[i] + t.data.length);
        }
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            b.u64(t.name.length).bytes(t.name).u32(t.dims.length);
            for (long d : t.dims) b.u64(d);
            b.u32(t.type).u64(offsets[i]);
        }
        while (b.size() % alignment != 0) b.u8(0);
        int dataStart = b.size();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (t.offset != null) continue; // hand-placed tensors carry no data of their own
            while (b.size() < dataStart + offsets[i]) b.u8(0);
            b.bytes(t.data);
        }
        while (b.size() % alignment != 0) b.u8(0);
        return b.toBytes();
    }

    private long align(long v) {
        return (v + alignment - 1) / alignment * alignment;
    }

    public Path write(Path dir) {
        try {
            Path f = Files.createTempFile(dir, "test", ".gguf");
            Files.write(f, build());
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
