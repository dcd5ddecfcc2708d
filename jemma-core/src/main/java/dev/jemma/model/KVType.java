package dev.jemma.model;

import dev.jemma.JemmaException;
import dev.jemma.tensor.GGMLType;

import java.util.Locale;

/**
 * How keys and values are stored in the KV cache. Attention always computes in f32; a smaller type
 * trades a little accuracy for memory (f16: half, q8_0: 34/128 of f32).
 */
public enum KVType {
    F32(GGMLType.F32), F16(GGMLType.F16), Q8_0(GGMLType.Q8_0);

    public final GGMLType storage;

    KVType(GGMLType storage) {
        this.storage = storage;
    }

    /** Bytes of one row of {@code n} values (n a multiple of the block size). */
    public long rowBytes(int n) {
        return storage.rowBytes(n);
    }

    /** The lower-case name used on the command line and in JSON ("f32", "f16", "q8_0"). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static KVType parse(String s) {
        for (KVType t : values()) if (t.id().equalsIgnoreCase(s)) return t;
        throw new JemmaException("unknown KV cache type '" + s + "': expected f32, f16 or q8_0");
    }
}
