package dev.jemma.gguf;

/** Metadata value types of GGUF v3, with their fixed element sizes (0 for string and array). */
public enum GGUFValueType {
    UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1),
    STRING(0), ARRAY(0), UINT64(8), INT64(8), FLOAT64(8);

    private static final GGUFValueType[] BY_ID = values();

    /** Bytes of one value on disk, or 0 when the size is variable. */
    public final int size;

    GGUFValueType(int size) {
        this.size = size;
    }

    public static GGUFValueType fromId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }
}
