package dev.jemma.model;

/**
 * One sequence's place in the model: its KV cache and position. {@code maxChunk} is the most rows of this
 * sequence one forward pass may take (local layers keep a ring of window + maxChunk positions). The activations
 * live in the model ({@link Activations}). Not thread-safe: one state belongs to one session.
 */
public final class InferenceState implements AutoCloseable {
    public final int contextLength;
    public final int maxChunk;
    final KVCache cache;
    /** when set, every key/value row written is also stored here (a prefix-cache entry being built) */
    KVCache recorder;
    /** the prefix-cache entry holding every position of this state's first positions, if any */
    PrefixCache.Entry source;
    /** how many of this state's first positions equal the source entry's */
    int sourceLength;
    /** number of positions already in the cache */
    int position;
    /** the adapter every pass over this sequence applies (its cache was computed through it), or null */
    LinearAdapter adapter;

    InferenceState(GemmaConfig c, int contextLength, int maxChunk, KVType kvType, LinearAdapter adapter) {
        this.contextLength = contextLength;
        this.maxChunk = maxChunk;
        this.adapter = adapter;
        this.cache = new KVCache(c, contextLength, maxChunk, kvType);
    }

    /** The adapter this sequence runs with (the model's when the state was made), or null. */
    public LinearAdapter adapter() {
        return adapter;
    }

    /**
     * Makes the sequence run with {@code a} (null or {@link LinearAdapter#NONE}: the bare base) from now on. The
     * cache holds values computed through the previous adapter, so a different one forgets them all; returns true
     * when that happened.
     */
    public boolean useAdapter(LinearAdapter a) {
        if (a == LinearAdapter.NONE) a = null;
        if (a == adapter) return false;
        adapter = a;
        reset();
        return true;
    }

    /** Positions already processed (the next token goes at this position). */
    public int position() {
        return position;
    }

    /**
     * Forgets positions from {@code n} on, keeping the first n for reuse, and returns how many were kept.
     * Local layers hold only a ring of recent positions, so a rewind further back than the ring
     * can restore keeps nothing (returns 0) and the caller recomputes from the start.
     */
    public int rewind(int n) {
        if (n < 0 || n > position) throw new IllegalArgumentException("rewind to " + n + " of " + position);
        position = position - n <= maxChunk ? n : 0;
        sourceLength = Math.min(sourceLength, position);
        return position;
    }

    public void reset() {
        position = 0;
        source = null;
        sourceLength = 0;
    }

    public KVType kvType() {
        return cache.type;
    }

    /** Bytes of native memory held by the KV cache. */
    public long kvCacheBytes() {
        return cache.byteSize();
    }

    /** Releases the KV cache; the state cannot be used afterwards. */
    @Override
    public void close() {
        cache.close();
    }
}
