package dev.jemma.gguf;

import dev.jemma.tensor.GGMLType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF v3 file: metadata of every value type (arrays included) and tensors, each given as f32 values
 * (stored as f32, f16 or bf16) or as the raw bytes of any stored type. Tensor data is streamed from its source
 * at write time, so a merged model need not fit in memory twice. Data offsets are aligned to
 * {@code general.alignment} (default 32), as llama.cpp and gguf-py expect.
 *
 * <p>A write the disk cannot hold is refused before it starts. The write is atomic: the file is written under a temporary name in the target directory, forced to disk and
 * moved over the target, so a reader sees the old file or the whole new one, and a failure (a full disk, a
 * failing source) leaves nothing behind and throws {@link GGUFWriteException} naming the file.
 */
public final class GGUFWriter {
    /** The bytes of one tensor, exactly its size, in order. Called once, while the file is written. */
    @FunctionalInterface
    public interface TensorSource {
        void writeTo(Sink sink) throws IOException;
    }

    private record Pending(String name, long[] shape, GGMLType type, long bytes, TensorSource source) {}

    private final Map<String, GGUFMetadata.Entry> kv = new LinkedHashMap<>();
    /** Keys copied from a file that is still open, with their values' stored bytes (see {@link #putAll}). */
    private final Map<String, MemorySegment> encoded = new HashMap<>();
    private final List<Pending> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();

    /** A scalar value: a Number for the numeric types, Boolean for BOOL, String for STRING. Replaces an earlier value. */
    public GGUFWriter put(String key, GGUFValueType type, Object value) {
        if (type == GGUFValueType.ARRAY) throw new IllegalArgumentException("use putArray for the array '" + key + "'");
        checkScalar(key, type, value);
        kv.put(checkKey(key), new GGUFMetadata.Entry(type, null, value));
        encoded.remove(key);
        return this;
    }

    /**
     * An array: byte[] (UINT8, INT8, BOOL), short[] (UINT16, INT16), int[] (UINT32, INT32), long[] (UINT64, INT64),
     * float[], double[] or String[], as {@link GGUFMetadata} returns them.
     */
    public GGUFWriter putArray(String key, GGUFValueType elementType, Object array) {
        boolean ok = switch (elementType) {
            case UINT8, INT8, BOOL -> array instanceof byte[];
            case UINT16, INT16 -> array instanceof short[];
            case UINT32, INT32 -> array instanceof int[];
            case UINT64, INT64 -> array instanceof long[];
            case FLOAT32 -> array instanceof float[];
            case FLOAT64 -> array instanceof double[];
            case STRING -> array instanceof String[] s && Arrays.stream(s).allMatch(x -> x != null);
            case ARRAY -> false;
        };
        if (!ok) throw new IllegalArgumentException("array '" + key + "' of " + elementType + " cannot hold " + describe(array));
        kv.put(checkKey(key), new GGUFMetadata.Entry(GGUFValueType.ARRAY, elementType, array));
        encoded.remove(key);
        return this;
    }

    /** An entry as read by {@link GGUFFile}. */
    public GGUFWriter put(String key, GGUFMetadata.Entry e) {
        return e.type() == GGUFValueType.ARRAY ? putArray(key, e.elementType(), e.value()) : put(key, e.type(), e.value());
    }

    public GGUFWriter putString(String key, String value) {
        return put(key, GGUFValueType.STRING, value);
    }

    public GGUFWriter putU32(String key, long value) {
        return put(key, GGUFValueType.UINT32, value);
    }

    public GGUFWriter putF32(String key, float value) {
        return put(key, GGUFValueType.FLOAT32, value);
    }

    /** Drops a key if present (a later put then appends it at the end, as gguf_set_val does). */
    public GGUFWriter remove(String key) {
        kv.remove(key);
        encoded.remove(key);
        return this;
    }

    /**
     * Every entry of {@code md}, in its order. Entries read from a file are written as the bytes the file stores
     * (the reader validated them) as long as that file is open when {@link #write} runs, and from their values
     * otherwise.
     */
    public GGUFWriter putAll(GGUFMetadata md) {
        for (String k : md.keys()) put(k, md, k);
        return this;
    }

    /** One entry of {@code md} under {@code key}; see {@link #putAll}. */
    public GGUFWriter put(String key, GGUFMetadata md, String from) {
        GGUFMetadata.Entry e = md.entry(from);
        if (e == null) throw new IllegalArgumentException("no metadata key '" + from + "' to copy");
        MemorySegment stored = md.encoded(from);
        if (stored == null) return put(key, e);
        kv.put(checkKey(key), e);
        encoded.put(key, stored);
        return this;
    }

    /** A tensor of f32 values ({@code data}, ggml order: shape[0] varies fastest) stored as f32, f16 or bf16. */
    public GGUFWriter tensor(String name, long[] shape, GGMLType type, float[] data) {
        long n = elements(name, shape);
        if (data.length != n) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + n + " elements but " + data.length + " values were given");
        }
        if (type != GGMLType.F32 && type != GGMLType.F16 && type != GGMLType.BF16) {
            throw new IllegalArgumentException("tensor '" + name + "': f32 values can be stored as F32, F16 or BF16, not " + type);
        }
        return tensor(name, shape, type, sink -> sink.putFloats(type, data, 0, data.length));
    }

    /** A tensor's stored bytes as they are (any type, e.g. a quantized tensor copied from another file). */
    public GGUFWriter tensor(String name, long[] shape, GGMLType type, MemorySegment bytes) {
        return tensor(name, shape, type, sink -> sink.putBytes(bytes));
    }

    /** A tensor whose bytes come from {@code source} at write time; it must write exactly the tensor's size. */
    public GGUFWriter tensor(String name, long[] shape, GGMLType type, TensorSource source) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        if (utf8.length == 0 || utf8.length > GGUFFile.GGUFParser.MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' must have 1.." + GGUFFile.GGUFParser.MAX_TENSOR_NAME_BYTES + " bytes");
        }
        if (!tensorNames.add(name)) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        long n = elements(name, shape);
        if (shape[0] % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' of type " + type + " has rows of " + shape[0]
                    + " elements, not a multiple of the block size " + type.blockSize);
        }
        tensors.add(new Pending(name, shape.clone(), type, n / type.blockSize * type.blockBytes, source));
        return this;
    }

    /** Writes the file atomically; see the class comment. */
    public void write(Path path) {
        int alignment = alignment();
        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = null;
        try {
            checkSpace(path, dir, alignment);
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its default permissions stand
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 WriteBack writeBack = new WriteBack(ch)) {
                Sink out = new Sink(ch, writeBack);
                writeHeader(out, alignment);
                for (Pending t : tensors) {
                    long before = out.written;
                    t.source.writeTo(out);
                    long wrote = out.written - before;
                    if (wrote != t.bytes) {
                        throw new IllegalStateException("tensor '" + t.name + "': its source wrote " + wrote + " bytes, expected " + t.bytes);
                    }
                    out.pad(alignment);
                }
                out.flush();
                writeBack.finish();
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            forceDirectory(dir);
        } catch (IOException e) {
            throw new GGUFWriteException("cannot write " + path + ": " + reason(e), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one to report
                }
            }
        }
    }

    /** Refuses to start a write the disk cannot hold (the tensors' aligned bytes plus room for the header). */
    private void checkSpace(Path path, Path dir, int alignment) throws IOException {
        if (dir == null || !Files.isDirectory(dir)) return; // createTempFile names the missing directory
        long need = 16L << 20;
        for (Pending t : tensors) need += alignUp(t.bytes, alignment);
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free < need) {
            throw new GGUFWriteException(String.format("not enough disk space for %s: it needs %.1f MiB, %s has %.1f MiB free",
                    path, need / 1048576.0, dir, free / 1048576.0), null);
        }
    }

    private void writeHeader(Sink out, int alignment) throws IOException {
        out.putInt(GGUFFile.MAGIC).putInt(3).putLong(tensors.size()).putLong(kv.size());
        for (Map.Entry<String, GGUFMetadata.Entry> e : kv.entrySet()) {
            out.putString(e.getKey());
            MemorySegment stored = encoded.get(e.getKey());
            if (stored != null && stored.scope().isAlive()) {
                out.putBytes(stored);
                continue;
            }
            GGUFMetadata.Entry v = e.getValue();
            out.putInt(v.type().ordinal());
            if (v.type() == GGUFValueType.ARRAY) putArray(out, v.elementType(), v.value());
            else putScalar(out, v.type(), v.value());
        }
        long offset = 0;
        for (Pending t : tensors) {
            out.putString(t.name).putInt(t.shape.length);
            for (long d : t.shape) out.putLong(d);
            out.putInt(t.type.id).putLong(offset);
            offset += alignUp(t.bytes, alignment);
        }
        out.pad(alignment);
    }

    private static void putScalar(Sink out, GGUFValueType type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8 -> out.putByte(((Number) v).byteValue());
            case BOOL -> out.putByte((Boolean) v ? (byte) 1 : 0);
            case UINT16, INT16 -> out.putShort(((Number) v).shortValue());
            case UINT32, INT32 -> out.putInt(((Number) v).intValue());
            case UINT64, INT64 -> out.putLong(((Number) v).longValue());
            case FLOAT32 -> out.putFloat(((Number) v).floatValue());
            case FLOAT64 -> out.putDouble(((Number) v).doubleValue());
            case STRING -> out.putString((String) v);
            case ARRAY -> throw new AssertionError();
        }
    }

    private static void putArray(Sink out, GGUFValueType elem, Object a) throws IOException {
        out.putInt(elem.ordinal());
        switch (a) {
            case byte[] b -> { out.putLong(b.length); for (byte x : b) out.putByte(x); }
            case short[] s -> { out.putLong(s.length); for (short x : s) out.putShort(x); }
            case int[] i -> { out.putLong(i.length); for (int x : i) out.putInt(x); }
            case long[] l -> { out.putLong(l.length); for (long x : l) out.putLong(x); }
            case float[] f -> { out.putLong(f.length); for (float x : f) out.putFloat(x); }
            case double[] d -> { out.putLong(d.length); for (double x : d) out.putDouble(x); }
            case String[] s -> { out.putLong(s.length); for (String x : s) out.putString(x); }
            default -> throw new AssertionError(describe(a));
        }
    }

    private int alignment() {
        GGUFMetadata.Entry e = kv.get("general.alignment");
        if (e == null) return GGUFFile.DEFAULT_ALIGNMENT;
        long a = e.type() == GGUFValueType.UINT32 ? ((Number) e.value()).longValue() & 0xFFFFFFFFL : -1;
        if (a <= 0 || Long.bitCount(a) != 1 || a > GGUFFile.GGUFParser.MAX_ALIGNMENT) {
            throw new IllegalArgumentException("general.alignment must be a UINT32 power of two up to "
                    + GGUFFile.GGUFParser.MAX_ALIGNMENT + ", got " + e.type() + " " + e.value());
        }
        return (int) a;
    }

    private static String checkKey(String key) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("metadata keys must not be empty");
        return key;
    }

    private static void checkScalar(String key, GGUFValueType type, Object value) {
        boolean ok = switch (type) {
            case BOOL -> value instanceof Boolean;
            case STRING -> value instanceof String;
            case FLOAT32, FLOAT64 -> value instanceof Float || value instanceof Double;
            case ARRAY -> false;
            default -> value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte;
        };
        if (!ok) throw new IllegalArgumentException("metadata key '" + key + "' of type " + type + " cannot hold " + describe(value));
    }

    private static long elements(String name, long[] shape) {
        if (shape.length < 1 || shape.length > GGUFFile.GGUFParser.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + shape.length + " dimensions (allowed 1.." + GGUFFile.GGUFParser.MAX_DIMS + ")");
        }
        long n = 1;
        for (long d : shape) {
            if (d <= 0) throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static String describe(Object v) {
        return v == null ? "null" : v.getClass().getSimpleName();
    }

    private static long alignUp(long v, int alignment) {
        long r = v % alignment;
        return r == 0 ? v : v + alignment - r;
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) return "the directory does not exist";
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Makes the rename itself durable; not every platform lets a directory be opened, which is no error. */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }

    /**
     * Forces what has been written so far to disk from a background thread, each time another
     * {@link #STEP} bytes have gone out, so that the final fsync waits for the last stretch only (on a 2-core machine
     * the fsync of a 235 MB file at the end took about 0.3 s; during the write the disk is otherwise idle).
     */
    private static final class WriteBack implements AutoCloseable {
        static final long STEP = 32L << 20;
        private final FileChannel ch;
        private long requestedAt;
        private boolean pending, closed;
        private IOException failure;
        private Thread thread;

        WriteBack(FileChannel ch) {
            this.ch = ch;
        }

        /** Called after each buffer is written, with the bytes written so far. */
        synchronized void written(long bytes) throws IOException {
            if (failure != null) throw failure;
            if (bytes - requestedAt < STEP) return;
            requestedAt = bytes;
            pending = true;
            if (thread == null) {
                thread = new Thread(this::run, "jemma-gguf-writeback");
                thread.setDaemon(true);
                thread.start();
            }
            notifyAll();
        }

        private void run() {
            while (true) {
                synchronized (this) {
                    while (!pending && !closed) {
                        try {
                            wait();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    if (!pending) return;
                    pending = false;
                }
                try {
                    ch.force(false);
                } catch (IOException e) {
                    synchronized (this) {
                        if (failure == null) failure = e;
                        return;
                    }
                }
            }
        }

        /** Waits for the background thread; rethrows what it met. */
        void finish() throws IOException {
            close();
            Thread t;
            synchronized (this) {
                t = thread;
            }
            if (t != null) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while the file was being written");
                }
            }
            synchronized (this) {
                if (failure != null) throw failure;
            }
        }

        /** Lets the background thread end after its current force; does not wait for it. */
        @Override
        public synchronized void close() {
            closed = true;
            pending = false;
            notifyAll();
        }
    }

    /** Little-endian output through one buffer, counting bytes; tensor sources write through it. */
    public static final class Sink {
        private final FileChannel ch;
        private final WriteBack writeBack;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private long written;

        Sink(FileChannel ch, WriteBack writeBack) {
            this.ch = ch;
            this.writeBack = writeBack;
        }

        private Sink room(int n) throws IOException {
            if (buf.remaining() < n) flush();
            return this;
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
            writeBack.written(written);
        }

        public Sink putByte(byte v) throws IOException { room(1).buf.put(v); written += 1; return this; }
        public Sink putShort(short v) throws IOException { room(2).buf.putShort(v); written += 2; return this; }
        public Sink putInt(int v) throws IOException { room(4).buf.putInt(v); written += 4; return this; }
        public Sink putLong(long v) throws IOException { room(8).buf.putLong(v); written += 8; return this; }
        public Sink putFloat(float v) throws IOException { room(4).buf.putFloat(v); written += 4; return this; }
        public Sink putDouble(double v) throws IOException { room(8).buf.putDouble(v); written += 8; return this; }

        Sink putString(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            putLong(b.length);
            return putBytes(MemorySegment.ofArray(b));
        }

        /** Raw bytes, e.g. a tensor's stored blocks. */
        public Sink putBytes(MemorySegment bytes) throws IOException {
            long n = bytes.byteSize();
            for (long at = 0; at < n; ) {
                if (!buf.hasRemaining()) flush();
                int k = (int) Math.min(buf.remaining(), n - at);
                MemorySegment.copy(bytes, at, MemorySegment.ofBuffer(buf), 0, k); // the view starts at the position
                buf.position(buf.position() + k);
                at += k;
            }
            written += n;
            return this;
        }

        /** n f32 values stored as F32, F16 or BF16 (rounded to nearest even, as ggml and gguf-py round). */
        public Sink putFloats(GGMLType type, float[] v, int off, int n) throws IOException {
            for (int i = off; i < off + n; i++) {
                switch (type) {
                    case F32 -> putFloat(v[i]);
                    case F16 -> putShort(Float.floatToFloat16(v[i]));
                    case BF16 -> putShort(toBF16(v[i]));
                    default -> throw new IllegalArgumentException("f32 values cannot be stored as " + type);
                }
            }
            return this;
        }

        void pad(int alignment) throws IOException {
            while (written % alignment != 0) putByte((byte) 0);
        }
    }

    /** f32 → bf16, round to nearest even; NaN stays a (quiet) NaN. */
    public static short toBF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    static { // the value-type ids are the enum's ordinals; guard that assumption
        if (GGUFValueType.FLOAT64.ordinal() != 12 || GGUFValueType.ARRAY.ordinal() != 9) throw new AssertionError("GGUFValueType order");
    }
}
