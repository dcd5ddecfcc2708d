package dev.jemma.model;

/**
 * Activation buffers for one decode step of up to {@code capacity} sequences, one token each: the
 * matrix products run once over all of them (each weight row read once per step), attention runs per
 * sequence on its own KV cache. Allocated once by a scheduler; not thread-safe.
 */
public final class DecodeBatch {
    public final int capacity;
    final float[] x, xb, q, k, v, att, o, gate, up, hiddenOut;

    DecodeBatch(GemmaConfig c, int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("batch capacity must be ≥ 1");
        this.capacity = capacity;
        int h = c.hidden();
        x = new float[capacity * h];
        xb = new float[capacity * h];
        q = new float[capacity * c.qDim()];
        k = new float[capacity * c.kvDim()];
        v = new float[capacity * c.kvDim()];
        att = new float[capacity * c.qDim()];
        o = new float[capacity * h];
        gate = new float[capacity * c.ffn()];
        up = new float[capacity * c.ffn()];
        hiddenOut = new float[capacity * h];
    }
}
