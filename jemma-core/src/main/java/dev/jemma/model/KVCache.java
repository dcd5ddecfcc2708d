package dev.jemma.model;

/**
 * Keys and values per layer, f32. Global layers keep every position of the context; local
 * (sliding-window) layers keep a ring of {@code window + maxChunk} positions, enough for the first
 * row of a prefill chunk to still see its full window while the chunk's own keys are written.
 */
public final class KVCache {
    final float[][] keys;
    final float[][] values;
    /** positions each layer holds; slot of position p is p % length (global: p) */
    final int[] length;
    final int kvDim;

    public KVCache(GemmaConfig c, int contextLength, int maxChunk) {
        int layers = c.layers();
        this.kvDim = c.kvDim();
        this.keys = new float[layers][];
        this.values = new float[layers][];
        this.length = new int[layers];
        for (int l = 0; l < layers; l++) {
            int len = c.isGlobal(l) ? contextLength : Math.min(contextLength, c.slidingWindow() + maxChunk);
            length[l] = len;
            keys[l] = new float[Math.multiplyExact(len, kvDim)];
            values[l] = new float[Math.multiplyExact(len, kvDim)];
        }
    }

    /** Bytes this cache holds, from the same formula used to allocate it. */
    public static long bytes(GemmaConfig c, int contextLength, int maxChunk) {
        long total = 0;
        for (int l = 0; l < c.layers(); l++) {
            long len = c.isGlobal(l) ? contextLength : Math.min(contextLength, c.slidingWindow() + maxChunk);
            total += 2L * len * c.kvDim() * Float.BYTES;
        }
        return total;
    }

    /** What a cache without the sliding-window saving would hold: every layer keeps the whole context. */
    public static long bytesWithoutWindow(GemmaConfig c, int contextLength) {
        return 2L * c.layers() * contextLength * c.kvDim() * Float.BYTES;
    }

    int offset(int layer, int pos) {
        return (pos % length[layer]) * kvDim;
    }
}
