package dev.jemma.model;

import dev.jemma.tensor.Rows;

/**
 * The forward pass's working buffers, one set per model sized for the largest batch seen (rows of every
 * segment together), as gemma.cpp's Activations or llama.cpp's micro-batch. Passes are serialized on the
 * model's worker pool, so one set serves every sequence; it only grows, so a steady loop allocates nothing.
 */
final class Activations {
    private final GemmaConfig c;
    private final int workers;
    int capacity;

    float[] ropeCos, ropeSin;
    /** the row buffers, as packed views (each view owns its array) */
    final Rows xRows = view(), xbRows = view(), qRows = view(), kRows = view(), vRows = view(), attRows = view();
    final Rows oRows = view(), gateRows = view(), upRows = view(), hiddenRows = view(), logitInputRows = view();
    /** a view re-pointed per call: the logits' destination */
    final Rows logitRows = view();
    AttentionScratch[] attention;
    /** each worker's scratch for {@link Ops#geluTanhMul} */
    final double[][] geluScratch;

    /** One worker's key/value block and online-softmax state. */
    static final class AttentionScratch {
        /** one key block's keys and values; each query's scores over it, then its softmax weights */
        final float[] keys, values, scores, max, sum;
        final int[] lastKey;
        /** a key block's queries: index (into max and sum), offset of its q and output row, key range [from, to) */
        final int[] query, qOff, from, to;

        AttentionScratch(GemmaConfig c) {
            keys = new float[Attention.KEY_BLOCK * c.headDim()];
            values = new float[Attention.KEY_BLOCK * c.headDim()];
            int q = Attention.TOKEN_BLOCK * (c.heads() / c.kvHeads());
            scores = new float[q * Attention.KEY_BLOCK];
            max = new float[q];
            sum = new float[q];
            lastKey = new int[Attention.TOKEN_BLOCK];
            query = new int[q];
            qOff = new int[q];
            from = new int[q];
            to = new int[q];
        }
    }

    Activations(GemmaConfig c, int workers) {
        this.c = c;
        this.workers = workers;
        attention = new AttentionScratch[workers];
        for (int w = 0; w < workers; w++) attention[w] = new AttentionScratch(c);
        geluScratch = new double[workers][Ops.GELU_CHUNK];
        ensure(1);
    }

    /** Makes room for {@code rows} rows. */
    void ensure(int rows) {
        if (rows <= capacity) return;
        int n = Math.max(rows, Math.min(2 * capacity, rows + 256));
        int h = c.hidden(), qd = c.qDim(), kvd = c.kvDim(), ffn = c.ffn(), half = c.headDim() / 2;
        Rows[] views = {xRows, xbRows, qRows, kRows, vRows, attRows, oRows, gateRows, upRows, hiddenRows, logitInputRows};
        int[] widths = {h, h, qd, kvd, kvd, qd, h, ffn, ffn, h, h};
        for (int i = 0; i < views.length; i++) views[i].at(new float[n * widths[i]], 0, widths[i]);
        ropeCos = new float[n * half];
        ropeSin = new float[n * half];
        capacity = n;
    }

    private static Rows view() {
        return Rows.packed(null, 0);
    }

    int workers() {
        return workers;
    }
}
