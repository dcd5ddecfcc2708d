package dev.jemma.tensor;

/**
 * A view of f32 rows inside an array: row t starts at {@code data[offset + t·stride]}. The operand type of
 * {@link MatMul}. Mutable so that a forward pass can point a few long-lived views at its buffers without
 * allocating per call.
 */
public final class Rows {
    private float[] data;
    private int offset;
    private int stride;

    private Rows(float[] data, int offset, int stride) {
        at(data, offset, stride);
    }

    public static Rows of(float[] data, int offset, int stride) {
        return new Rows(data, offset, stride);
    }

    /** Rows of {@code width} floats packed from the array's start. */
    public static Rows packed(float[] data, int width) {
        return new Rows(data, 0, width);
    }

    /** Points this view elsewhere; returns it. */
    public Rows at(float[] data, int offset, int stride) {
        if (offset < 0 || stride < 0) throw new IllegalArgumentException("offset " + offset + ", stride " + stride);
        this.data = data;
        this.offset = offset;
        this.stride = stride;
        return this;
    }

    public float[] data() {
        return data;
    }

    public int offset() {
        return offset;
    }

    public int stride() {
        return stride;
    }

    /** Index of row t's first float. */
    public int start(int t) {
        return offset + t * stride;
    }
}
