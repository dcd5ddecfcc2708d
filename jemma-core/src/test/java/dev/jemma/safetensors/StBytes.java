package dev.jemma.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

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

/** A tiny safetensors writer for tests: little-endian u64 header length, JSON padded to 8 bytes with spaces, data. */
final class StBytes {
    static final ObjectMapper JSON = new ObjectMapper();

    private record T(String name, String dtype, long[] shape, byte[] data) {}

    private final List<T> tensors = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private boolean reverseHeaderOrder;

    StBytes add(String name, String dtype, long[] shape, byte[] data) {
        tensors.add(new T(name, dtype, shape, data));
        return this;
    }

    StBytes f32(String name, long[] shape, float... v) {
        return add(name, "F32", shape, f32(v));
    }

    StBytes meta(String k, String v) {
        metadata.put(k, v);
        return this;
    }

    /** List the tensors in the header in reverse order (the data stays in insertion order). */
    StBytes reverseHeaderOrder() {
        reverseHeaderOrder = true;
        return this;
    }

    /** The header JSON: tensors in insertion order, data contiguous in insertion order. */
    String header() {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long off = 0;
        List<Map.Entry<String, ObjectNode>> entries = new ArrayList<>();
        for (T t : tensors) {
            ObjectNode o = JSON.createObjectNode();
            o.put("dtype", t.dtype);
            ArrayNode s = o.putArray("shape");
            for (long d : t.shape) s.add(d);
            o.putArray("data_offsets").add(off).add(off + t.data.length);
            off += t.data.length;
            entries.add(Map.entry(t.name, o));
        }
        if (reverseHeaderOrder) entries = entries.reversed();
        for (Map.Entry<String, ObjectNode> e : entries) root.set(e.getKey(), e.getValue());
        return root.toString();
    }

    byte[] data() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (T t : tensors) out.writeBytes(t.data);
        return out.toByteArray();
    }

    byte[] build() {
        return file(header(), data());
    }

    Path write(Path file) {
        try {
            Files.write(file, build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** A file with this header text (padded with spaces to a multiple of 8 bytes) and data. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        byte[] hp = new byte[padded];
        System.arraycopy(h, 0, hp, 0, h.length);
        for (int i = h.length; i < padded; i++) hp[i] = ' ';
        return raw(padded, hp, data);
    }

    /** Length field {@code n}, then exactly these header bytes and data. */
    static byte[] raw(long n, byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(header).put(data);
        return b.array();
    }

    static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    static byte[] f16(float... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putShort(Float.floatToFloat16(x));
        return b.array();
    }

    /** BF16 by truncation: the values given must be exact in BF16. */
    static byte[] bf16(float... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putShort((short) (Float.floatToRawIntBits(x) >>> 16));
        return b.array();
    }

    static byte[] i64(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) b.putLong(x);
        return b.array();
    }
}
