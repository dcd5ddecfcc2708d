package dev.jemma.train;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One trainable tensor: its values (a heap array, or native memory the forward pass reads through a
 * WeightMatrix), its gradient, and what weight decay pulls it towards. Norm weights are stored as llama.cpp does,
 * 1 + w, while transformers decays w: their decay centre is 1.
 */
final class Parameter {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** the GGUF tensor name */
    final String name;
    /** ggml shape (fastest dimension first) */
    final long[] shape;
    final int size;
    final float[] grad;
    final float decayCentre;
    private final float[] array;
    private final MemorySegment segment;

    private Parameter(String name, long[] shape, float[] array, MemorySegment segment, int size, float[] grad, float decayCentre) {
        this.name = name;
        this.shape = shape;
        this.array = array;
        this.segment = segment;
        this.size = size;
        this.grad = grad;
        this.decayCentre = decayCentre;
    }

    static Parameter ofArray(String name, long[] shape, float[] values, float[] grad, float decayCentre) {
        if (grad.length != values.length) throw new IllegalArgumentException(name + ": gradient size differs");
        return new Parameter(name, shape, values, null, values.length, grad, decayCentre);
    }

    /** {@code grad} null: a frozen tensor, read and written but not trained. */
    static Parameter ofSegment(String name, long[] shape, MemorySegment values, float[] grad) {
        if (grad != null && values.byteSize() != 4L * grad.length) throw new IllegalArgumentException(name + ": gradient size differs");
        return new Parameter(name, shape, null, values, (int) (values.byteSize() / 4), grad, 0f);
    }

    /** dst[0..n) = values[off..off+n) */
    void read(int off, float[] dst, int n) {
        if (array != null) System.arraycopy(array, off, dst, 0, n);
        else MemorySegment.copy(segment, F32, 4L * off, dst, 0, n);
    }

    /** values[off..off+n) = src[0..n) */
    void write(int off, float[] src, int n) {
        if (array != null) System.arraycopy(src, 0, array, off, n);
        else MemorySegment.copy(src, 0, segment, F32, 4L * off, n);
    }
}
