package dev.jemma.model;

/**
 * Everything one sequence needs while it runs: its KV cache, its position, and the activation
 * buffers for one chunk of tokens. Allocated once per session, so the forward pass allocates nothing.
 * Not thread-safe: one state belongs to one session.
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

    final float[] x, xb, q, k, v, att, o, gate, up;
    /** final-normed hidden rows of the chunk, input of the output projection */
    final float[] hiddenOut;
    final AttentionScratch[] attentionScratch;
    final float[] ropeCos, ropeSin;

    /** One worker's key/value block and online-softmax state. */
    static final class AttentionScratch {
        final float[] keys, values, scores, max, sum;

        AttentionScratch(GemmaConfig c, int maxChunk) {
            keys = new float[Attention.KEY_BLOCK * c.headDim()];
            values = new float[Attention.KEY_BLOCK * c.headDim()];
            scores = new float[Attention.KEY_BLOCK];
            int q = Attention.maxQueriesPerItem(c, maxChunk);
            max = new float[q];
            sum = new float[q];
        }
    }

    InferenceState(GemmaConfig c, int contextLength, int maxChunk, int workers, KVType kvType) {
        this.contextLength = contextLength;
        this.maxChunk = maxChunk;
        this.cache = new KVCache(c, contextLength, maxChunk, kvType);
        int h = c.hidden();
        x = new float[maxChunk * h];
        xb = new float[maxChunk * h];
        q = new float[maxChunk * c.qDim()];
        k = new float[maxChunk * c.kvDim()];
        v = new float[maxChunk * c.kvDim()];
        att = new float[maxChunk * c.qDim()];
        o = new float[maxChunk * h];
        gate = new float[maxChunk * c.ffn()];
        up = new float[maxChunk * c.ffn()];
        hiddenOut = new float[maxChunk * h];
        attentionScratch = new AttentionScratch[workers];
        for (int w = 0; w < workers; w++) attentionScratch[w] = new AttentionScratch(c, maxChunk);
        ropeCos = new float[maxChunk * (c.headDim() / 2)];
        ropeSin = new float[maxChunk * (c.headDim() / 2)];
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
