package dev.jemma.gguf;

import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file. Scalars are boxed Java values; arrays are primitive arrays
 * (byte[] for u8/i8/bool, short[], int[], long[], float[], double[], String[]). Typed getters throw a
 * {@link ModelFormatException} naming the key when it is missing or has the wrong type.
 */
public final class GGUFMetadata {

    /** One value with its on-disk type; {@code elementType} is set for arrays only. */
    public record Entry(GGUFValueType type, GGUFValueType elementType, Object value) {}

    private final Map<String, Entry> entries;
    /** Each entry's value as stored in the file it was read from (type id onwards); empty when built in memory. */
    private final Map<String, MemorySegment> encoded;
    private final String sourceIdentity;

    GGUFMetadata(LinkedHashMap<String, Entry> entries, Map<String, MemorySegment> encoded, String sourceIdentity) {
        this.entries = Collections.unmodifiableMap(entries);
        this.encoded = encoded;
        this.sourceIdentity = sourceIdentity;
    }

    /** Metadata built in memory (a model assembled from another format), in the given order. */
    public static GGUFMetadata of(Map<String, Entry> entries) {
        return new GGUFMetadata(new LinkedHashMap<>(entries), Map.of(), null);
    }

    /**
     * For metadata read from a file: a string that changes whenever that file is replaced or rewritten (its real
     * path, size, modification time and inode), so a cache of something derived from the metadata can skip hashing
     * it on later loads of the same file. Null for metadata built in memory, when the file could not be stat'ed, and
     * when it was modified in the last few seconds (a rewrite within one tick of the file system's clock would not
     * change it).
     */
    public String sourceIdentity() {
        return sourceIdentity;
    }

    /**
     * The stored bytes of a value read from a file, already validated by the reader, for {@link GGUFWriter} to copy
     * as they are (a vocabulary is a quarter of a million strings); null when there are none or the file was closed.
     */
    MemorySegment encoded(String key) {
        MemorySegment s = encoded.get(key);
        return s != null && s.scope().isAlive() ? s : null;
    }

    public Set<String> keys() {
        return entries.keySet();
    }

    public boolean contains(String key) {
        return entries.containsKey(key);
    }

    /** The entry, or null when absent. */
    public Entry entry(String key) {
        return entries.get(key);
    }

    public long integer(String key) {
        Entry e = require(key);
        if (!e.type.isInteger()) throw wrongType(key, e, "an integer");
        return ((Number) e.value).longValue();
    }

    public long integer(String key, long absent) {
        return contains(key) ? integer(key) : absent;
    }

    public double real(String key) {
        Entry e = require(key);
        if (e.type != GGUFValueType.FLOAT32 && e.type != GGUFValueType.FLOAT64 && !e.type.isInteger()) {
            throw wrongType(key, e, "a number");
        }
        return ((Number) e.value).doubleValue();
    }

    public double real(String key, double absent) {
        return contains(key) ? real(key) : absent;
    }

    public String string(String key) {
        Entry e = require(key);
        if (e.type != GGUFValueType.STRING) throw wrongType(key, e, "a string");
        return (String) e.value;
    }

    public String string(String key, String absent) {
        return contains(key) ? string(key) : absent;
    }

    public boolean bool(String key, boolean absent) {
        Entry e = entries.get(key);
        if (e == null) return absent;
        if (e.type != GGUFValueType.BOOL) throw wrongType(key, e, "a bool");
        return (Boolean) e.value;
    }

    public String[] stringArray(String key) {
        return (String[]) array(key, GGUFValueType.STRING);
    }

    public float[] floatArray(String key) {
        return (float[]) array(key, GGUFValueType.FLOAT32);
    }

    /** An array of any integer element type up to 32 bits, widened to int. */
    public int[] intArray(String key) {
        Entry e = require(key);
        if (e.type != GGUFValueType.ARRAY) throw wrongType(key, e, "an array of integers");
        Object v = e.value;
        return switch (e.elementType) {
            case INT32, UINT32 -> (int[]) v;
            case INT16, UINT16 -> {
                short[] s = (short[]) v;
                int[] r = new int[s.length];
                for (int i = 0; i < s.length; i++) r[i] = e.elementType == GGUFValueType.UINT16 ? s[i] & 0xFFFF : s[i];
                yield r;
            }
            case INT8, UINT8 -> {
                byte[] b = (byte[]) v;
                int[] r = new int[b.length];
                for (int i = 0; i < b.length; i++) r[i] = e.elementType == GGUFValueType.UINT8 ? b[i] & 0xFF : b[i];
                yield r;
            }
            default -> throw wrongType(key, e, "an array of integers");
        };
    }

    /** Element count of an array entry. */
    public int arrayLength(String key) {
        Entry e = require(key);
        if (e.type != GGUFValueType.ARRAY) throw wrongType(key, e, "an array");
        return java.lang.reflect.Array.getLength(e.value);
    }

    private Object array(String key, GGUFValueType elementType) {
        Entry e = require(key);
        if (e.type != GGUFValueType.ARRAY || e.elementType != elementType) {
            throw wrongType(key, e, "an array of " + elementType);
        }
        return e.value;
    }

    private Entry require(String key) {
        Entry e = entries.get(key);
        if (e == null) throw new ModelFormatException("missing metadata key '" + key + "'");
        return e;
    }

    private static ModelFormatException wrongType(String key, Entry e, String expected) {
        String actual = e.type == GGUFValueType.ARRAY ? "an array of " + e.elementType : e.type.toString();
        return new ModelFormatException("metadata key '" + key + "' is " + actual + ", expected " + expected);
    }

    @Override
    public String toString() {
        return "GGUFMetadata" + entries.keySet();
    }
}
