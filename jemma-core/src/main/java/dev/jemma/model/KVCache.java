package dev.jemma.model;

import dev.jemma.JemmaException;
import dev.jemma.tensor.RowKernel;
import dev.jemma.tensor.RowKernels;
import dev.jemma.tensor.RowQuantizer;
import dev.jemma.tensor.ZeroedMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;

/**
 * Keys and values per layer in native memory, stored as {@link KVType}. Global layers keep every
 * position of the context; local (sliding-window) layers keep a ring of {@code window + maxChunk}
 * positions, enough for the first row of a prefill chunk to still see its full window while the
 * chunk's own keys are written. Rows are written quantized and read back as f32 blocks.
 * Memory is released by {@link #close()} (or, as a safety net, when the cache becomes unreachable).
 */
public final class KVCache implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    final KVType type;
    final MemorySegment[] keys;
    final MemorySegment[] values;
    /** positions each layer holds; slot of position p is p % length (global: p) */
    final int[] length;
    final int kvDim;
    final int headDim;
    final long rowBytes;
    final long headBytes;
    /** 8-bit storage keeps keys and values in the Hadamard basis of each head (see {@link Hadamard}) */
    final boolean rotated;
    private final RowKernel kernel;
    /** the first positions, kept exact (f32) beside a quantized cache: see {@link #SINK_POSITIONS} */
    private final float[][] sinkKeys, sinkValues;
    /**
     * Positions kept in f32 when the cache is quantized. Every later query puts much of its attention
     * on the first token (the "attention sink", here BOS), so rounding its key shifts every attention
     * distribution. On the 270M (conformance texts, 2,000 positions) q8_0's argmax agrees with f32's at
     * 98.9% with neither this nor the Hadamard rotation, 98.9% with either alone, and 99.25–99.3% with
     * both. A few positions more than BOS cost nothing (4 × 18 layers × 2 KiB).
     */
    static final int SINK_POSITIONS = 4;
    private final Cleaner.Cleanable cleanable;

    public KVCache(GemmaConfig c, int contextLength, int maxChunk, KVType type) {
        checkSupported(c, type);
        int layers = c.layers();
        this.type = type;
        this.kvDim = c.kvDim();
        this.headDim = c.headDim();
        this.rowBytes = type.rowBytes(kvDim);
        this.headBytes = type.rowBytes(headDim);
        this.rotated = type == KVType.Q8_0 && Hadamard.applies(headDim);
        this.kernel = RowKernels.forType(type.storage);
        this.keys = new MemorySegment[layers];
        this.values = new MemorySegment[layers];
        this.length = new int[layers];
        int sink = sinkPositions(type, contextLength);
        this.sinkKeys = new float[layers][sink * kvDim];
        this.sinkValues = new float[layers][sink * kvDim];
        Arena a = Arena.ofShared();
        this.cleanable = CLEANER.register(this, a::close);
        try {
            for (int l = 0; l < layers; l++) {
                int len = positions(c, l, contextLength, maxChunk);
                length[l] = len;
                keys[l] = ZeroedMemory.allocate(a, Math.multiplyExact(len, rowBytes));
                values[l] = ZeroedMemory.allocate(a, Math.multiplyExact(len, rowBytes));
            }
        } catch (OutOfMemoryError e) {
            cleanable.clean();
            throw new InsufficientMemoryException("cannot allocate the KV cache: " + bytes(c, contextLength, maxChunk, type)
                    + " bytes for " + contextLength + " positions (" + type.id() + ")", e);
        }
    }

    /** A cache type must split into whole blocks per head, since attention reads one head at a time. */
    static void checkSupported(GemmaConfig c, KVType type) {
        if (c.headDim() % type.storage.blockSize != 0) {
            throw new JemmaException("KV type " + type.id() + " needs a head dimension divisible by "
                    + type.storage.blockSize + "; this model's is " + c.headDim());
        }
    }

    private static int sinkPositions(KVType type, int contextLength) {
        return type == KVType.F32 ? 0 : Math.min(SINK_POSITIONS, contextLength);
    }

    private static int positions(GemmaConfig c, int layer, int contextLength, int maxChunk) {
        return c.isGlobal(layer) ? contextLength : Math.min(contextLength, c.slidingWindow() + maxChunk);
    }

    /** Bytes this cache holds, from the same formula used to allocate it. */
    public static long bytes(GemmaConfig c, int contextLength, int maxChunk, KVType type) {
        long total = 0;
        for (int l = 0; l < c.layers(); l++) {
            total += 2L * positions(c, l, contextLength, maxChunk) * type.rowBytes(c.kvDim());
        }
        return total + 2L * c.layers() * sinkPositions(type, contextLength) * c.kvDim() * Float.BYTES;
    }

    /** What a cache without the sliding-window saving would hold: every layer keeps the whole context. */
    public static long bytesWithoutWindow(GemmaConfig c, int contextLength, KVType type) {
        return 2L * c.layers() * contextLength * type.rowBytes(c.kvDim());
    }

    long byteSize() {
        long total = 0;
        for (int l = 0; l < keys.length; l++) {
            total += keys[l].byteSize() + values[l].byteSize() + 4L * (sinkKeys[l].length + sinkValues[l].length);
        }
        return total;
    }

    long rowOffset(int layer, int pos) {
        return (long) (pos % length[layer]) * rowBytes;
    }

    /** Stores position {@code pos}'s key and value rows (kvDim floats each). */
    void write(int layer, int pos, float[] k, int kOff, float[] v, int vOff) {
        long off = rowOffset(layer, pos);
        if (pos * kvDim < sinkKeys[layer].length) {
            System.arraycopy(k, kOff, sinkKeys[layer], pos * kvDim, kvDim);
            System.arraycopy(v, vOff, sinkValues[layer], pos * kvDim, kvDim);
        }
        RowQuantizer.quantize(type.storage, k, kOff, keys[layer], off, kvDim);
        RowQuantizer.quantize(type.storage, v, vOff, values[layer], off, kvDim);
    }

    /** Reads head {@code kvHead} of positions [from, from+count) as f32 rows of headDim into out. */
    void readKeys(int layer, int kvHead, int from, int count, float[] out) {
        read(keys[layer], sinkKeys[layer], layer, kvHead, from, count, out);
    }

    void readValues(int layer, int kvHead, int from, int count, float[] out) {
        read(values[layer], sinkValues[layer], layer, kvHead, from, count, out);
    }

    private void read(MemorySegment seg, float[] sink, int layer, int kvHead, int from, int count, float[] out) {
        long head = kvHead * headBytes;
        for (int i = 0; i < count; i++) {
            if ((from + i) * kvDim < sink.length) {
                System.arraycopy(sink, (from + i) * kvDim + kvHead * headDim, out, i * headDim, headDim);
                continue;
            }
            kernel.dequantize(seg, rowOffset(layer, from + i) + head, out, i * headDim, headDim);
        }
    }

    /** Copies positions [from, from+count) of every layer from another cache of the same shape and type. */
    void copyFrom(KVCache src, int from, int count) {
        for (int l = 0; l < keys.length; l++) {
            int first = Math.max(from, from + count - Math.min(length[l], src.length[l]));
            for (int p = first; p < from + count; p++) {
                MemorySegment.copy(src.keys[l], src.rowOffset(l, p), keys[l], rowOffset(l, p), rowBytes);
                MemorySegment.copy(src.values[l], src.rowOffset(l, p), values[l], rowOffset(l, p), rowBytes);
            }
            int sinkEnd = Math.min(from + count, Math.min(sinkKeys[l].length, src.sinkKeys[l].length) / kvDim);
            for (int p = from; p < sinkEnd; p++) {
                System.arraycopy(src.sinkKeys[l], p * kvDim, sinkKeys[l], p * kvDim, kvDim);
                System.arraycopy(src.sinkValues[l], p * kvDim, sinkValues[l], p * kvDim, kvDim);
            }
        }
    }

    @Override
    public void close() {
        cleanable.clean();
    }
}
