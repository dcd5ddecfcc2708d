package dev.jemma.safetensors;

import java.util.Arrays;

/**
 * One tensor of a safetensors file. {@code shape} is in the file's (row-major, PyTorch) order, outermost
 * dimension first; an empty shape is a scalar. {@code offset} is absolute in the file and, with
 * {@code byteSize}, already validated to lie inside it. The shape array is copied in and out.
 */
public record SafetensorsTensor(String name, SafetensorsDtype dtype, long[] shape, long offset, long byteSize) {

    public SafetensorsTensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions (0 for a scalar). */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}, outermost first. */
    public long dim(int i) {
        return shape[i];
    }

    /** Number of elements (validated not to overflow when the file was opened). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafetensorsTensor t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && offset == t.offset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + shapeString();
    }
}
