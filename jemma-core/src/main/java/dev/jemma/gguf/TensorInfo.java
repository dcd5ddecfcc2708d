package dev.jemma.gguf;

import dev.jemma.tensor.GGMLType;

import java.util.Arrays;

/**
 * One tensor's header entry. {@code shape[0]} is the innermost (contiguous) dimension, as in ggml.
 * {@code offset} is absolute in the file (already validated to lie inside it).
 */
public record TensorInfo(String name, long[] shape, GGMLType type, long offset, long byteSize) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Number of rows when seen as a matrix of shape[0]-element rows. */
    public long rows() {
        return elementCount() / shape[0];
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + shapeString();
    }
}
