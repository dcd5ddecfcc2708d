package dev.jemma.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream;

import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A safetensors file (Hugging Face's format) mapped read-only into memory.
 *
 * <p>Layout: an unsigned little-endian u64 {@code N}, then {@code N} bytes of UTF-8 JSON (possibly padded
 * with spaces), then the byte buffer. The JSON object maps each tensor name to {@code {"dtype", "shape",
 * "data_offsets": [begin, end]}} (offsets relative to the buffer) and may hold {@code "__metadata__"}, a map
 * of strings.
 *
 * <p>The header is validated as the reference reader (huggingface/safetensors, {@code Metadata::validate})
 * does, before anything is read from the buffer: header at most {@value #MAX_HEADER_BYTES} bytes and inside
 * the file, valid UTF-8 and one JSON object (a key twice is an error), every shape entry and offset a
 * non-negative integer, the tensors' byte ranges, sorted, contiguous from 0 with {@code begin <= end} and
 * {@code end - begin == product(shape) * dtype size} (exact arithmetic), and the last {@code end} exactly the
 * end of the file. Unknown fields of a tensor entry are ignored, as there. Beyond the reference, two caps
 * keep a hostile header from exhausting the heap: at most {@value #MAX_DIMS} dimensions (NumPy's limit),
 * {@value #MAX_TENSORS} tensors and {@value #MAX_METADATA_ENTRIES} metadata entries.
 *
 * <p>Every failure is a {@link SafetensorsFormatException} naming the file and, where one is involved, the
 * tensor. The mapping is shared between threads and released by {@link #close()}.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The reference reader's limit on the JSON header. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    public static final int MAX_DIMS = 64;
    public static final int MAX_TENSORS = 1 << 18;
    public static final int MAX_METADATA_ENTRIES = 1 << 16;
    /** The largest Java array. */
    static final long MAX_ARRAY_ELEMENTS = Integer.MAX_VALUE - 8;

    static final String METADATA_KEY = "__metadata__";
    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapped;
    private final long headerBytes;
    private final List<SafetensorsTensor> tensors;
    private final Map<String, SafetensorsTensor> byName;
    private final Map<String, String> metadata;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SafetensorsFile(Path path, Arena arena, MemorySegment mapped, long headerBytes,
                            List<SafetensorsTensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.mapped = mapped;
        this.headerBytes = headerBytes;
        this.tensors = Collections.unmodifiableList(tensors);
        Map<String, SafetensorsTensor> m = HashMap.newHashMap(tensors.size());
        for (SafetensorsTensor t : tensors) m.put(t.name(), t);
        this.byName = m;
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** Maps and validates the file. I/O failures other than a missing file are thrown as they come. */
    public static SafetensorsFile open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            throw new SafetensorsFormatException(path, null, "is a directory, not a safetensors file"
                    + " (SafetensorsCheckpoint.open reads a Hugging Face weights folder)");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SafetensorsFormatException(path, null, "file not found");
        }
        try (ch) {
            long size = ch.size();
            if (size < 8) throw tooShort(path, size);
            Arena arena = Arena.ofShared();
            try {
                MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                return new Parser(path, seg).parse(arena);
            } catch (RuntimeException | IOException | Error e) {
                arena.close();
                throw e;
            }
        }
    }

    /** Validates a file image already in memory; {@code path} only names it in messages. Closing frees nothing. */
    static SafetensorsFile parse(Path path, MemorySegment bytes) {
        return new Parser(path, bytes).parse(null);
    }

    public Path path() {
        return path;
    }

    public long fileSize() {
        return mapped.byteSize();
    }

    /** N, the length of the JSON header; the byte buffer starts at 8 + N. */
    public long headerBytes() {
        return headerBytes;
    }

    /** The tensors in the order of their data in the file. */
    public List<SafetensorsTensor> tensors() {
        return tensors;
    }

    /** The tensor with this name, or null. */
    public SafetensorsTensor tensor(String name) {
        return byName.get(name);
    }

    /** The header's {@code "__metadata__"} (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The tensor's bytes (little-endian elements, row-major), a slice of the mapping valid until
     * {@link #close()}.
     *
     * @throws IllegalArgumentException if the tensor is not one of this file's
     */
    public MemorySegment data(SafetensorsTensor t) {
        SafetensorsTensor own = byName.get(t.name());
        if (!t.equals(own)) throw new IllegalArgumentException("tensor '" + t.name() + "' is not from " + path);
        return mapped.asSlice(t.offset(), t.byteSize());
    }

    /**
     * The tensor's values as floats, converted exactly: F32 as is, F16 by {@link Float#float16ToFloat},
     * BF16 as the top 16 bits of an F32.
     *
     * @throws SafetensorsFormatException for other dtypes, or more elements than a Java array holds
     */
    public float[] toFloats(SafetensorsTensor t) {
        MemorySegment d = data(t);
        long n = t.elementCount();
        if (t.dtype() != SafetensorsDtype.F32 && t.dtype() != SafetensorsDtype.F16 && t.dtype() != SafetensorsDtype.BF16) {
            throw new SafetensorsFormatException(path, t.name(), "dtype " + t.dtype()
                    + " is not supported here (supported: F32, F16, BF16)");
        }
        if (n > MAX_ARRAY_ELEMENTS) {
            throw new SafetensorsFormatException(path, t.name(), n + " elements are too many for one float array");
        }
        int count = (int) n;
        float[] out = new float[count];
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(d, F32_LE, 0, out, 0, count);
            case F16 -> {
                short[] h = new short[count];
                MemorySegment.copy(d, I16_LE, 0, h, 0, count);
                for (int i = 0; i < count; i++) out[i] = Float.float16ToFloat(h[i]);
            }
            case BF16 -> {
                short[] h = new short[count];
                MemorySegment.copy(d, I16_LE, 0, h, 0, count);
                for (int i = 0; i < count; i++) out[i] = Float.intBitsToFloat((h[i] & 0xFFFF) << 16);
            }
            default -> throw new AssertionError();
        }
        return out;
    }

    /** Releases the mapping; slices from {@link #data} become inaccessible. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && arena != null) arena.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }

    private static SafetensorsFormatException tooShort(Path path, long size) {
        return new SafetensorsFormatException(path, null, "not a safetensors file: " + size
                + " bytes, shorter than the 8-byte header length");
    }

    /** One header entry before validation; {@code begin}, {@code end} relative to the buffer. */
    private record Entry(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {}

    /** Reads and validates the header. */
    private static final class Parser {
        private final Path path;
        private final MemorySegment seg;
        private final long size;

        Parser(Path path, MemorySegment seg) {
            this.path = path;
            this.seg = seg;
            this.size = seg.byteSize();
        }

        SafetensorsFile parse(Arena arena) {
            if (size < 8) throw tooShort(path, size);
            long n = seg.get(U64_LE, 0);
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw fail(null, "header length " + Long.toUnsignedString(n) + " is above the limit of "
                        + MAX_HEADER_BYTES + " bytes" + formatHint());
            }
            if (n > size - 8) {
                throw fail(null, "header length " + n + " runs past the end of the file (" + size
                        + " bytes): file truncated?" + formatHint());
            }
            MemorySegment header = seg.asSlice(8, n);
            checkUtf8(header);
            List<Entry> entries = new ArrayList<>();
            Map<String, String> metadata = readHeader(header, entries);
            List<SafetensorsTensor> tensors = validate(entries, 8 + n, size - 8 - n);
            return new SafetensorsFile(path, arena, seg, n, tensors, metadata);
        }

        /** A guess at the real format when the header length is implausible. */
        private String formatHint() {
            if (size >= 4 && seg.get(ValueLayout.JAVA_BYTE, 0) == 'G' && seg.get(ValueLayout.JAVA_BYTE, 1) == 'G'
                    && seg.get(ValueLayout.JAVA_BYTE, 2) == 'U' && seg.get(ValueLayout.JAVA_BYTE, 3) == 'F') {
                return "; this looks like a GGUF file, not safetensors";
            }
            if (seg.get(ValueLayout.JAVA_BYTE, 0) == 'P' && seg.get(ValueLayout.JAVA_BYTE, 1) == 'K') {
                return "; this looks like a zip archive (a PyTorch checkpoint?), not safetensors";
            }
            return "; not a safetensors file?";
        }

        private void checkUtf8(MemorySegment header) {
            CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            ByteBuffer in = header.asByteBuffer();
            CharBuffer out = CharBuffer.allocate(8192);
            while (true) {
                CoderResult r = dec.decode(in, out, true);
                if (r.isError()) throw fail(null, "the header is not valid UTF-8 (byte " + (8 + in.position()) + " of the file)");
                if (r.isUnderflow()) break;
                out.clear();
            }
        }

        /** Parses the JSON into {@code entries} (in header order) and returns the metadata. */
        private Map<String, String> readHeader(MemorySegment header, List<Entry> entries) {
            // A reader, not the byte stream: Jackson would guess UTF-16/32 from zero bytes; this is UTF-8.
            InputStreamReader text = new InputStreamReader(new ByteBufferBackedInputStream(header.asByteBuffer()),
                    StandardCharsets.UTF_8);
            try (JsonParser p = JsonTokens.FACTORY.createParser(text)) {
                JsonToken t = p.nextToken();
                if (t == null) throw fail(null, "the header is empty (" + header.byteSize() + " bytes of white space)");
                if (t != JsonToken.START_OBJECT) {
                    throw fail(null, "the header is not a JSON object (found " + JsonTokens.describe(t) + ")");
                }
                Map<String, String> metadata = Map.of();
                Set<String> seen = new HashSet<>();
                while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    if (!seen.add(key)) {
                        throw key.equals(METADATA_KEY) ? fail(null, "\"__metadata__\" appears twice in the header")
                                : fail(key, "appears twice in the header");
                    }
                    JsonToken v = p.nextToken();
                    if (key.equals(METADATA_KEY)) {
                        metadata = readMetadata(p, v);
                    } else {
                        if (entries.size() == MAX_TENSORS) {
                            throw fail(null, "the header lists more than " + MAX_TENSORS + " tensors");
                        }
                        entries.add(readEntry(p, v, key));
                    }
                }
                if (t != JsonToken.END_OBJECT) throw fail(null, "the header's JSON object is not closed");
                if ((t = p.nextToken()) != null) {
                    throw fail(null, "the header has " + JsonTokens.describe(t) + " after its JSON object");
                }
                return metadata;
            } catch (JacksonException e) {
                throw new SafetensorsFormatException(path, null, "the header is not valid JSON: " + JsonTokens.describe(e), e);
            } catch (IOException e) {
                throw new SafetensorsFormatException(path, null, "the header cannot be read: " + e, e);
            }
        }

        private Map<String, String> readMetadata(JsonParser p, JsonToken t) throws IOException {
            if (t == JsonToken.VALUE_NULL) return Map.of();
            if (t != JsonToken.START_OBJECT) {
                throw fail(null, "\"__metadata__\" must be an object of strings, found " + JsonTokens.describe(t));
            }
            Map<String, String> m = new LinkedHashMap<>();
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                if (m.containsKey(key)) {
                    throw fail(null, "\"__metadata__\" has the key \"" + SafetensorsFormatException.printable(key) + "\" twice");
                }
                if (m.size() == MAX_METADATA_ENTRIES) {
                    throw fail(null, "\"__metadata__\" has more than " + MAX_METADATA_ENTRIES + " entries");
                }
                JsonToken v = p.nextToken();
                if (v != JsonToken.VALUE_STRING) {
                    throw fail(null, "\"__metadata__\" value of \"" + SafetensorsFormatException.printable(key)
                            + "\" must be a string, found " + JsonTokens.describe(v));
                }
                m.put(key, p.getText());
            }
            if (t != JsonToken.END_OBJECT) throw fail(null, "\"__metadata__\" is not closed");
            return m;
        }

        private Entry readEntry(JsonParser p, JsonToken t, String name) throws IOException {
            if (t != JsonToken.START_OBJECT) {
                throw fail(name, "its header entry must be an object with \"dtype\", \"shape\" and \"data_offsets\", found "
                        + JsonTokens.describe(t));
            }
            String dtypeName = null;
            long[] shape = null, offsets = null;
            Set<String> fields = new HashSet<>(4);
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                if (!fields.add(field)) {
                    throw fail(name, "field \"" + SafetensorsFormatException.printable(field) + "\" appears twice");
                }
                JsonToken v = p.nextToken();
                switch (field) {
                    case "dtype" -> {
                        if (v != JsonToken.VALUE_STRING) throw fail(name, "\"dtype\" must be a string, found " + JsonTokens.describe(v));
                        dtypeName = p.getText();
                    }
                    case "shape" -> shape = longs(p, v, name, "shape", MAX_DIMS);
                    case "data_offsets" -> {
                        offsets = longs(p, v, name, "data_offsets", 2);
                        if (offsets.length != 2) {
                            throw fail(name, "\"data_offsets\" must be [begin, end], found " + offsets.length + " numbers");
                        }
                    }
                    default -> p.skipChildren(); // ignored, as by the reference reader
                }
            }
            if (t != JsonToken.END_OBJECT) throw fail(name, "its header entry is not closed");
            if (dtypeName == null) throw fail(name, "no \"dtype\"");
            if (shape == null) throw fail(name, "no \"shape\"");
            if (offsets == null) throw fail(name, "no \"data_offsets\"");
            SafetensorsDtype dtype = SafetensorsDtype.fromName(dtypeName);
            if (dtype == null) {
                String shown = "\"" + SafetensorsFormatException.printable(dtypeName) + "\"";
                throw fail(name, SafetensorsDtype.isSubByte(dtypeName)
                        ? "dtype " + shown + " (less than a byte per element) is not supported"
                        : "unknown dtype " + shown + " (known: " + Arrays.toString(SafetensorsDtype.values()) + ")");
            }
            return new Entry(name, dtype, shape, offsets[0], offsets[1]);
        }

        /** An array of at most {@code max} non-negative integers that fit in a long. */
        private long[] longs(JsonParser p, JsonToken t, String name, String field, int max) throws IOException {
            if (t != JsonToken.START_ARRAY) {
                throw fail(name, "\"" + field + "\" must be an array of integers, found " + JsonTokens.describe(t));
            }
            long[] a = new long[Math.min(max, 4)];
            int n = 0;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t != JsonToken.VALUE_NUMBER_INT) {
                    throw fail(name, "\"" + field + "\" element " + n + " must be a non-negative integer, found "
                            + JsonTokens.describe(t) + (t == JsonToken.VALUE_NUMBER_FLOAT ? " " + shortText(p) : ""));
                }
                if (n == max) throw fail(name, "\"" + field + "\" has more than " + max + " elements");
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw fail(name, "\"" + field + "\" element " + n + " = " + shortText(p) + " is out of range");
                }
                long v = p.getLongValue();
                if (v < 0) throw fail(name, "\"" + field + "\" element " + n + " = " + v + " is negative");
                if (n == a.length) a = Arrays.copyOf(a, Math.min(max, 2 * n));
                a[n++] = v;
            }
            return n == a.length ? a : Arrays.copyOf(a, n);
        }

        private static String shortText(JsonParser p) throws IOException {
            String s = p.getText();
            return s.length() <= 40 ? s : s.substring(0, 40) + "… (" + s.length() + " digits)";
        }

        /** Checks the byte ranges as the reference reader does; returns the tensors by offset. */
        private List<SafetensorsTensor> validate(List<Entry> entries, long bufferStart, long bufferBytes) {
            List<Entry> sorted = new ArrayList<>(entries);
            sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end)); // stable: ties keep header order
            List<SafetensorsTensor> out = new ArrayList<>(sorted.size());
            long start = 0;
            Entry prev = null;
            for (Entry e : sorted) {
                String range = "data_offsets [" + e.begin() + ", " + e.end() + "]";
                if (e.end() < e.begin()) throw fail(e.name(), range + " end before they begin");
                if (e.begin() > start) {
                    throw fail(e.name(), range + " leave a gap of " + (e.begin() - start) + " bytes after "
                            + (prev == null ? "the start of the data" : "tensor '" + SafetensorsFormatException.printable(prev.name()) + "'"));
                }
                if (e.begin() < start) {
                    throw fail(e.name(), range + " overlap tensor '" + SafetensorsFormatException.printable(prev.name())
                            + "' [" + prev.begin() + ", " + prev.end() + "]");
                }
                long bytes = e.dtype().byteSize();
                try {
                    for (long d : e.shape()) bytes = Math.multiplyExact(bytes, d);
                } catch (ArithmeticException x) {
                    throw fail(e.name(), "shape " + Arrays.toString(e.shape()) + " of " + e.dtype() + " overflows a 64-bit byte size");
                }
                if (e.end() - e.begin() != bytes) {
                    throw fail(e.name(), range + " hold " + (e.end() - e.begin()) + " bytes but shape "
                            + Arrays.toString(e.shape()) + " of " + e.dtype() + " needs " + bytes);
                }
                if (e.end() > bufferBytes) {
                    throw fail(e.name(), range + " run past the end of the file: the data after the header is "
                            + bufferBytes + " bytes (file truncated?)");
                }
                out.add(new SafetensorsTensor(e.name(), e.dtype(), e.shape(), bufferStart + e.begin(), bytes));
                start = e.end();
                prev = e;
            }
            if (start != bufferBytes) {
                throw fail(null, "the file has " + bufferBytes + " bytes after the header but the tensors cover "
                        + start + " (the data offsets must cover the buffer exactly)");
            }
            return out;
        }

        private SafetensorsFormatException fail(String tensor, String message) {
            return new SafetensorsFormatException(path, tensor, message);
        }
    }
}
