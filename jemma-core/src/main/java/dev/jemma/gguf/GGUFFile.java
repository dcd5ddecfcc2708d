package dev.jemma.gguf;

import dev.jemma.tensor.GGMLType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF v3 file mapped read-only into memory. Every count, length, offset and size read from the
 * header is checked against the file before it is used, so a corrupt or hostile file gives a
 * {@link ModelFormatException} that names the problem, never an out-of-memory error or a crash.
 * The mapping is shared between threads and released by {@link #close()}.
 */
public final class GGUFFile implements AutoCloseable {

    static final int MAGIC = 0x46554747; // "GGUF" little-endian
    /** magic + version + n_tensors + n_kv */
    static final int HEADER_BYTES = 24;
    static final int DEFAULT_ALIGNMENT = 32;

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapped;
    private final int version;
    private final GGUFMetadata metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final long dataOffset;
    private final int alignment;
    /** per-tensor bytes of an assembled model (null for a mapped file) */
    private final Map<String, MemorySegment> assembled;
    private final AutoCloseable onClose;
    /** the file's bytes copied into memory by {@link #loadIntoMemory()}, or null to read the mapping */
    private volatile MemorySegment inMemory;

    private GGUFFile(Path path, Arena arena, MemorySegment mapped, int version, GGUFMetadata metadata,
                     List<TensorInfo> tensors, long dataOffset, int alignment) {
        this.path = path;
        this.arena = arena;
        this.mapped = mapped;
        this.version = version;
        this.metadata = metadata;
        this.tensors = Collections.unmodifiableList(tensors);
        Map<String, TensorInfo> m = new HashMap<>();
        for (TensorInfo t : tensors) m.put(t.name(), t);
        this.byName = m;
        this.dataOffset = dataOffset;
        this.alignment = alignment;
        this.assembled = null;
        this.onClose = null;
    }

    private GGUFFile(Path path, GGUFMetadata metadata, List<TensorInfo> tensors, Map<String, MemorySegment> data,
                     AutoCloseable onClose) {
        this.path = path;
        this.arena = null;
        this.mapped = null;
        this.version = 3;
        this.metadata = metadata;
        this.tensors = Collections.unmodifiableList(new ArrayList<>(tensors));
        Map<String, TensorInfo> m = new HashMap<>();
        for (TensorInfo t : tensors) {
            MemorySegment d = data.get(t.name());
            if (d == null || d.byteSize() != t.byteSize()) {
                throw new IllegalArgumentException("tensor " + t.name() + ": " + (d == null ? "no data" : d.byteSize() + " bytes for " + t.byteSize()));
            }
            m.put(t.name(), t);
        }
        this.byName = m;
        this.dataOffset = 0;
        this.alignment = DEFAULT_ALIGNMENT;
        this.assembled = Map.copyOf(data);
        this.onClose = onClose;
    }

    /**
     * A model assembled in memory from another format (a Hugging Face folder): the metadata and tensors a GGUF
     * file of it would hold, each tensor's bytes in its own segment (a slice of another mapping, or computed).
     * {@code path} names the source; {@code onClose} releases what the segments live in.
     */
    public static GGUFFile assembled(Path path, GGUFMetadata metadata, List<TensorInfo> tensors,
                                     Map<String, MemorySegment> data, AutoCloseable onClose) {
        return new GGUFFile(path, metadata, tensors, data, onClose);
    }

    /** Maps and validates the file. */
    public static GGUFFile open(Path path) throws IOException {
        long size;
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("model file not found: " + path);
        }
        String identity = identity(path);
        Arena arena = Arena.ofShared();
        try (ch) {
            size = ch.size();
            if (size < HEADER_BYTES) {
                throw new ModelFormatException("not a GGUF file: " + size + " bytes (" + path + ")");
            }
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            GGUFParser parser = new GGUFParser(seg, path.toString());
            // the identity names what was mapped only if the path still shows the same file afterwards
            parser.identity = identity != null && identity.equals(identity(path)) ? identity : null;
            GGUFFile f = parser.parse(path, arena);
            return f;
        } catch (RuntimeException | IOException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** A file modified more recently than this is given no identity (see {@link #identity}). */
    private static final java.time.Duration SETTLED = java.time.Duration.ofSeconds(3);

    /**
     * The file's real path, size, modification time (ns) and file key (device and inode): what changes when a model
     * file is replaced or rewritten. Null when it cannot be read, and for a file modified in the last few seconds:
     * file systems keep modification times in ticks (a few ms, up to 2 s on FAT), so a file rewritten in place within
     * one tick would look unchanged (as git treats "racily clean" entries).
     */
    private static String identity(Path path) {
        try {
            java.nio.file.attribute.BasicFileAttributes a = java.nio.file.Files.readAttributes(path,
                    java.nio.file.attribute.BasicFileAttributes.class);
            Object key = a.fileKey();
            if (key == null) return null;
            java.time.Instant t = a.lastModifiedTime().toInstant();
            if (t.isAfter(java.time.Instant.now().minus(SETTLED))) return null;
            return path.toRealPath() + "\0" + a.size() + "\0" + t.getEpochSecond() + "." + t.getNano() + "\0" + key;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static GGUFFile create(Path path, Arena arena, MemorySegment mapped, int version, GGUFMetadata md,
                           List<TensorInfo> tensors, long dataOffset, int alignment) {
        return new GGUFFile(path, arena, mapped, version, md, tensors, dataOffset, alignment);
    }

    public Path path() {
        return path;
    }

    public long fileSize() {
        if (mapped != null) return mapped.byteSize();
        long n = 0;
        for (TensorInfo t : tensors) n += t.byteSize();
        return n;
    }

    public int version() {
        return version;
    }

    public GGUFMetadata metadata() {
        return metadata;
    }

    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** The tensor with this name, or null. */
    public TensorInfo tensor(String name) {
        return byName.get(name);
    }

    public long dataOffset() {
        return dataOffset;
    }

    public int alignment() {
        return alignment;
    }

    /** The tensor's bytes, a slice of the mapping (valid until {@link #close()}). */
    public MemorySegment tensorData(TensorInfo t) {
        if (assembled != null) {
            MemorySegment d = assembled.get(t.name());
            if (d == null) throw new IllegalArgumentException("no tensor " + t.name() + " in " + path);
            return d;
        }
        MemorySegment m = inMemory;
        return (m != null ? m : mapped).asSlice(t.offset(), t.byteSize());
    }

    /**
     * Copies a mapped file into memory allocated for streaming (huge pages where the system gives them, see
     * {@link dev.jemma.tensor.ZeroedMemory#allocateForStreaming}); tensor data asked for afterwards is read from
     * the copy, which lives until {@link #close()}. llama.cpp's {@code --no-mmap}: a larger resident set and a
     * longer load (one copy of the file) for faster decoding of models whose steps stream their weights from
     * memory. Does nothing for a model assembled in memory.
     */
    public void loadIntoMemory() {
        if (mapped == null || inMemory != null) return;
        MemorySegment copy = dev.jemma.tensor.ZeroedMemory.allocateForStreaming(arena, mapped.byteSize());
        MemorySegment.copy(mapped, 0, copy, 0, mapped.byteSize());
        inMemory = copy;
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
            return;
        }
        try {
            if (onClose != null) onClose.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + path + ": " + e.getMessage(), e);
        }
    }

    /** Reads and validates the header, metadata and tensor infos. */
    static final class GGUFParser {
        static final long MAX_STRING_BYTES = 16L << 20;
        static final long MAX_ARRAY_ELEMENTS = 64L << 20;
        static final int MAX_KEY_BYTES = 65535;
        static final int MAX_TENSOR_NAME_BYTES = 63;
        static final int MAX_DIMS = 4;
        static final long MAX_ELEMENTS = 1L << 42;
        static final int MAX_ALIGNMENT = 1 << 20;
        /** name length + n_dims + one dim + type + offset, the smallest possible tensor info */
        static final long MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;
        /** key length + value type + one byte of value */
        static final long MIN_KV_BYTES = 8 + 4 + 1;

        private final MemorySegment seg;
        private final long size;
        private final String where;
        /** see {@link GGUFMetadata#sourceIdentity()} */
        String identity;
        private long pos;
        /** reused for every string read (decoding copies out of it) */
        private byte[] stringBytes = new byte[64];

        GGUFParser(MemorySegment seg, String where) {
            this.seg = seg;
            this.size = seg.byteSize();
            this.where = where;
        }

        GGUFFile parse(Path path, Arena arena) {
            int magic = seg.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
            if (magic != MAGIC) throw new ModelFormatException(badMagicMessage());
            pos = 4;
            long version = u32();
            if (version != 3) {
                throw new ModelFormatException("unsupported GGUF version " + version
                        + " (supported: 3; versions 1 and 2 are not accepted)");
            }
            long nTensors = u64();
            long nKv = u64();
            long room = size - HEADER_BYTES;
            if (nTensors < 0 || nTensors > room / MIN_TENSOR_INFO_BYTES) {
                throw new ModelFormatException("tensor count " + Long.toUnsignedString(nTensors)
                        + " is impossible for a file of " + size + " bytes");
            }
            if (nKv < 0 || nKv > room / MIN_KV_BYTES) {
                throw new ModelFormatException("metadata count " + Long.toUnsignedString(nKv)
                        + " is impossible for a file of " + size + " bytes");
            }
            LinkedHashMap<String, GGUFMetadata.Entry> kv = new LinkedHashMap<>();
            HashMap<String, MemorySegment> encoded = new HashMap<>();
            for (long i = 0; i < nKv; i++) {
                long keyAt = pos;
                String key = string("metadata key #" + i, MAX_KEY_BYTES);
                if (key.isEmpty()) throw new ModelFormatException("empty metadata key at offset " + keyAt);
                if (kv.containsKey(key)) throw new ModelFormatException("duplicate metadata key '" + key + "'");
                long valueAt = pos;
                kv.put(key, value(key));
                encoded.put(key, seg.asSlice(valueAt, pos - valueAt));
            }
            GGUFMetadata md = new GGUFMetadata(kv, encoded, identity);
            int alignment = alignment(md);

            List<TensorInfo> raw = new ArrayList<>((int) nTensors);
            HashMap<String, Boolean> names = new HashMap<>();
            long[] relOffsets = new long[(int) nTensors];
            for (int i = 0; i < nTensors; i++) {
                long at = pos;
                String name = string("tensor name #" + i + " at offset " + at, MAX_TENSOR_NAME_BYTES);
                if (name.isEmpty()) throw new ModelFormatException("tensor #" + i + " has an empty name");
                if (names.put(name, Boolean.TRUE) != null) {
                    throw new ModelFormatException("duplicate tensor name '" + name + "'");
                }
                long nDims = u32();
                if (nDims < 1 || nDims > MAX_DIMS) {
                    throw new ModelFormatException("tensor '" + name + "' has " + nDims + " dimensions (allowed 1.." + MAX_DIMS + ")");
                }
                long[] shape = new long[(int) nDims];
                long elements = 1;
                for (int d = 0; d < nDims; d++) {
                    shape[d] = u64();
                    if (shape[d] <= 0) {
                        throw new ModelFormatException("tensor '" + name + "' has dimension " + d + " = "
                                + Long.toUnsignedString(shape[d]) + " (must be positive)");
                    }
                    elements = multiply(elements, shape[d], "element count of tensor '" + name + "'");
                    if (elements > MAX_ELEMENTS) {
                        throw new ModelFormatException("tensor '" + name + "' has too many elements: shape "
                                + java.util.Arrays.toString(shape));
                    }
                }
                long typeId = u32();
                GGMLType type = GGMLType.fromId(typeId);
                if (type == null) {
                    throw new ModelFormatException("tensor '" + name + "' has unknown ggml type id " + typeId);
                }
                if (shape[0] % type.blockSize != 0) {
                    throw new ModelFormatException("tensor '" + name + "' of type " + type + " has a row of "
                            + shape[0] + " elements, not a multiple of the block size " + type.blockSize);
                }
                long offset = u64();
                if (offset < 0 || offset % alignment != 0) {
                    throw new ModelFormatException("tensor '" + name + "' data offset " + Long.toUnsignedString(offset)
                            + " is not a multiple of the alignment " + alignment);
                }
                long bytes = multiply(elements / type.blockSize, type.blockBytes, "byte size of tensor '" + name + "'");
                relOffsets[i] = offset;
                raw.add(new TensorInfo(name, shape, type, offset, bytes));
            }
            long dataOffset = alignUp(pos, alignment);
            if (dataOffset > size && nTensors > 0) {
                throw new ModelFormatException("data section starts at " + dataOffset + ", past the end of the file (" + size + " bytes)");
            }
            List<TensorInfo> tensors = new ArrayList<>(raw.size());
            for (TensorInfo t : raw) {
                long start = add(dataOffset, t.offset(), "offset of tensor '" + t.name() + "'");
                long end = add(start, t.byteSize(), "end of tensor '" + t.name() + "'");
                if (end > size) {
                    throw new ModelFormatException("tensor '" + t.name() + "' data [" + start + ", " + end
                            + ") lies beyond the end of the file (" + size + " bytes): file truncated?");
                }
                tensors.add(new TensorInfo(t.name(), t.shape(), t.type(), start, t.byteSize()));
            }
            List<TensorInfo> sorted = new ArrayList<>(tensors);
            sorted.sort(Comparator.comparingLong(TensorInfo::offset));
            for (int i = 1; i < sorted.size(); i++) {
                TensorInfo a = sorted.get(i - 1), b = sorted.get(i);
                if (a.offset() + a.byteSize() > b.offset()) {
                    throw new ModelFormatException("tensors '" + a.name() + "' and '" + b.name() + "' overlap in the file");
                }
            }
            return GGUFFile.create(path, arena, seg, 3, md, tensors, dataOffset, alignment);
        }

        private String badMagicMessage() {
            byte[] head = new byte[(int) Math.min(8, size)];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, 0, head, 0, head.length);
            String guess = "";
            if ((head[0] & 0xFF) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G') guess = "; this looks like a PNG image";
            else if (head[0] == 'P' && head[1] == 'K') guess = "; this looks like a zip archive (a PyTorch checkpoint?)";
            else if (head[0] == 'F' && head[1] == 'U' && head[2] == 'G' && head[3] == 'G') guess = "; the magic is byte-swapped (big-endian GGUF is not supported)";
            else if (size >= 9) {
                long hdr = seg.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                if (hdr > 0 && hdr < size - 8 && seg.get(ValueLayout.JAVA_BYTE, 8) == '{') {
                    guess = "; this looks like a safetensors file (Hugging Face format), not GGUF";
                }
            }
            StringBuilder hex = new StringBuilder();
            for (int i = 0; i < Math.min(4, head.length); i++) hex.append(String.format("%02x", head[i] & 0xFF));
            return "not a GGUF file: expected magic 'GGUF' (47475546) but found " + hex + guess + " (" + where + ")";
        }

        private int alignment(GGUFMetadata md) {
            GGUFMetadata.Entry e = md.entry("general.alignment");
            if (e == null) return DEFAULT_ALIGNMENT;
            if (e.type() != GGUFValueType.UINT32) {
                throw new ModelFormatException("metadata key 'general.alignment' must be UINT32, found " + e.type());
            }
            long a = ((Number) e.value()).longValue();
            if (a <= 0 || Long.bitCount(a) != 1 || a > MAX_ALIGNMENT) {
                throw new ModelFormatException("metadata key 'general.alignment' = " + a
                        + " is invalid (must be a power of two between 1 and " + MAX_ALIGNMENT + ")");
            }
            return (int) a;
        }

        private GGUFMetadata.Entry value(String key) {
            long typeId = u32();
            GGUFValueType type = GGUFValueType.fromId(typeId);
            if (type == null) {
                throw new ModelFormatException("metadata key '" + key + "' has unknown value type " + typeId);
            }
            if (type != GGUFValueType.ARRAY) return new GGUFMetadata.Entry(type, null, scalar(type, key));
            long elemId = u32();
            GGUFValueType elem = GGUFValueType.fromId(elemId);
            if (elem == null) {
                throw new ModelFormatException("metadata array '" + key + "' has unknown element type " + elemId);
            }
            if (elem == GGUFValueType.ARRAY) {
                throw new ModelFormatException("metadata key '" + key + "' is an array of arrays (not supported)");
            }
            long count = u64();
            long minElemBytes = elem == GGUFValueType.STRING ? 8 : elem.size;
            if (count < 0 || count > MAX_ARRAY_ELEMENTS || count > (size - pos) / minElemBytes) {
                throw new ModelFormatException("metadata array '" + key + "' claims " + Long.toUnsignedString(count)
                        + " elements of " + elem + ", more than the file holds or the cap of " + MAX_ARRAY_ELEMENTS);
            }
            int n = (int) count;
            Object arr = switch (elem) {
                case UINT8, INT8, BOOL -> copyArray(new byte[n], ValueLayout.JAVA_BYTE, n);
                case UINT16, INT16 -> copyArray(new short[n], ValueLayout.JAVA_SHORT_UNALIGNED, n);
                case UINT32, INT32 -> copyArray(new int[n], ValueLayout.JAVA_INT_UNALIGNED, n);
                case FLOAT32 -> copyArray(new float[n], ValueLayout.JAVA_FLOAT_UNALIGNED, n);
                case UINT64, INT64 -> copyArray(new long[n], ValueLayout.JAVA_LONG_UNALIGNED, n);
                case FLOAT64 -> copyArray(new double[n], ValueLayout.JAVA_DOUBLE_UNALIGNED, n);
                case STRING -> {
                    String[] a = new String[n];
                    for (int i = 0; i < n; i++) a[i] = string(key, i, MAX_STRING_BYTES);
                    yield a;
                }
                case ARRAY -> throw new AssertionError();
            };
            return new GGUFMetadata.Entry(GGUFValueType.ARRAY, elem, arr);
        }

        /** n elements of the layout from the read position into the primitive array a (bounds already checked) */
        private Object copyArray(Object a, ValueLayout layout, int n) {
            MemorySegment.copy(seg, layout, pos, a, 0, n);
            pos += layout.byteSize() * n;
            return a;
        }

        private Object scalar(GGUFValueType type, String key) {
            if ((type == GGUFValueType.STRING ? 8 : type.size) > size - pos) throw endOfFile("value of '" + key + "'");
            return switch (type) {
                case UINT8 -> (int) (seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF);
                case INT8 -> (int) seg.get(ValueLayout.JAVA_BYTE, pos++);
                case BOOL -> {
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos++);
                    if (b != 0 && b != 1) throw new ModelFormatException("metadata key '" + key + "' is a bool with value " + b);
                    yield b == 1;
                }
                case UINT16 -> { int v = seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, pos) & 0xFFFF; pos += 2; yield v; }
                case INT16 -> { int v = seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, pos); pos += 2; yield v; }
                case UINT32 -> u32();
                case INT32 -> { int v = seg.get(ValueLayout.JAVA_INT_UNALIGNED, pos); pos += 4; yield v; }
                case FLOAT32 -> { float v = seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, pos); pos += 4; yield v; }
                case UINT64 -> {
                    long v = u64();
                    if (v < 0) throw new ModelFormatException("metadata key '" + key + "' = " + Long.toUnsignedString(v) + " is too large");
                    yield v;
                }
                case INT64 -> { long v = seg.get(ValueLayout.JAVA_LONG_UNALIGNED, pos); pos += 8; yield v; }
                case FLOAT64 -> { double v = seg.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, pos); pos += 8; yield v; }
                case STRING -> string("value of '" + key + "'", MAX_STRING_BYTES);
                case ARRAY -> throw new AssertionError();
            };
        }

        private String string(String what, long maxBytes) {
            return string(what, -1, maxBytes);
        }

        /**
         * A length-prefixed UTF-8 string. {@code what} names it in errors, as "element {@code index} of
         * '{@code what}'" when index ≥ 0: the message is built only on failure, since a vocabulary has
         * hundreds of thousands of strings and start-up time matters.
         */
        private String string(String what, int index, long maxBytes) {
            long at = pos;
            if (8 > size - pos) throw endOfFile(stringName(what, index) + " at offset " + at);
            long len = seg.get(ValueLayout.JAVA_LONG_UNALIGNED, pos);
            pos += 8;
            if (len < 0 || len > maxBytes) {
                throw new ModelFormatException(stringName(what, index) + " at offset " + at + " has length "
                        + Long.toUnsignedString(len) + " (limit " + maxBytes + " bytes)");
            }
            if (len > size - pos) throw endOfFile(stringName(what, index) + " at offset " + at);
            int n = (int) len;
            if (stringBytes.length < n) stringBytes = new byte[Math.max(n, stringBytes.length * 2)];
            byte[] b = stringBytes;
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, 0, n);
            pos += len;
            String s = Utf8Strings.decode(b, n);
            if (s == null) throw new ModelFormatException(stringName(what, index) + " at offset " + at + " is not valid UTF-8");
            return s;
        }

        private static String stringName(String what, int index) {
            return index < 0 ? what : "element " + index + " of '" + what + "'";
        }

        private long u32() {
            if (4 > size - pos) throw endOfFile("u32 at offset " + pos);
            long v = seg.get(ValueLayout.JAVA_INT_UNALIGNED, pos) & 0xFFFFFFFFL;
            pos += 4;
            return v;
        }

        private long u64() {
            if (8 > size - pos) throw endOfFile("u64 at offset " + pos);
            long v = seg.get(ValueLayout.JAVA_LONG_UNALIGNED, pos);
            pos += 8;
            return v;
        }

        private ModelFormatException endOfFile(String what) {
            return new ModelFormatException("unexpected end of file reading " + what + " (file has " + size + " bytes)");
        }

        private static long multiply(long a, long b, String what) {
            try {
                return Math.multiplyExact(a, b);
            } catch (ArithmeticException e) {
                throw new ModelFormatException(what + " overflows");
            }
        }

        private static long add(long a, long b, String what) {
            try {
                return Math.addExact(a, b);
            } catch (ArithmeticException e) {
                throw new ModelFormatException(what + " overflows");
            }
        }

        private static long alignUp(long v, int alignment) {
            long r = v % alignment;
            return r == 0 ? v : Math.addExact(v, alignment - r);
        }
    }
}
