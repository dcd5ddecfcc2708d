package dev.jemma.safetensors;

import java.util.HashMap;
import java.util.Map;

/**
 * The element types of the safetensors format that take whole bytes, named as in the file's {@code "dtype"}
 * field. The sub-byte types of newer writers ({@code F4}, {@code F6_E2M3}, {@code F6_E3M2}) are not accepted.
 */
public enum SafetensorsDtype {
    BOOL(1), U8(1), I8(1),
    F8_E5M2(1), F8_E4M3(1), F8_E8M0(1), F8_E4M3FNUZ(1), F8_E5M2FNUZ(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8), C64(8);

    private static final Map<String, SafetensorsDtype> BY_NAME = new HashMap<>();
    static {
        for (SafetensorsDtype d : values()) BY_NAME.put(d.name(), d);
    }

    private final int byteSize;

    SafetensorsDtype(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The type with this name as written in a header (case-sensitive), or null. */
    public static SafetensorsDtype fromName(String name) {
        return BY_NAME.get(name);
    }

    /** True for the names of types that the format defines but this reader does not accept. */
    static boolean isSubByte(String name) {
        return name.equals("F4") || name.equals("F6_E2M3") || name.equals("F6_E3M2");
    }
}
