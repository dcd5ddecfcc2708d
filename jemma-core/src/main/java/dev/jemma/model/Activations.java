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

    float[] x, xb, q, k, v, att, o, gate, up, hiddenOut, logitInput;
    float[] ropeCos, ropeSin;
    /** packed views of the buffers above */
    final Rows xRows = Rows.packed(null, 0), xbRows = Rows.packed(null, 0), qRows = Rows.packed(null, 0);
    final Rows kRows = Rows.packed(null, 0), vRows = Rows.packed(null, 0), attRows = Rows.packed(null, 0);
    final Rows oRows = Rows.packed(null, 0), gateRows = Rows.packed(null, 0), upRows = Rows.packed(null, 0);
    final Rows hiddenRows = Rows.packed(null, 0), logitInputRows = Rows.packed(null, 0);
    /** views re-pointed per call: a segment's slice, the logits' destination */
    final Rows sliceIn = Rows.packed(null, 0), sliceOut = Rows.packed(null, 0), logitRows = Rows.packed(null, 0);
    AttentionScratch[] attention;

    /** One worker's key/value block and online-softmax state. */
    static final class AttentionScratch {
        final float[] keys, values, scores, max, sum;
        final int[] lastKey;

        AttentionScratch(GemmaConfig c) {
            keys = new float[Attention.KEY_BLOCK * c.headDim()];
            values = new float[Attention.KEY_BLOCK * c.headDim()];
            scores = new float[Attention.KEY_BLOCK];
            int q = Attention.TOKEN_BLOCK * (c.heads() / c.kvHeads());
            max = new float[q];
            sum = new float[q];
            lastKey = new int[Attention.TOKEN_BLOCK];
        }
    }

    Activations(GemmaConfig c, int workers) {
        this.c = c;
        this.workers = workers;
        attention = new AttentionScratch[workers];
        for (int w = 0; w < workers; w++) attention[w] = new AttentionScratch(c);
        ensure(1);
    }

    /** Makes room for {@code rows} rows. */
    void ensure(int rows) {
        if (rows <= capacity) return;
        int n = Math.max(rows, Math.min(2 * capacity, rows + 256));
        int h = c.hidden(), qd = c.qDim(), kvd = c.kvDim(), ffn = c.ffn(), half = c.headDim() / 2;
        x = new float[n * h];
        xb = new float[n * h];
        q = new float[n * qd];
        k = new float[n * kvd];
        v = new float[n * kvd];
        att = new float[n * qd];
        o = new float[n * h];
        gate = new float[n * ffn];
        up = new float[n * ffn];
        hiddenOut = new float[n * h];
        logitInput = new float[n * h];
        ropeCos = new float[n * half];
        ropeSin = new float[n * half];
        xRows.at(x, 0, h);
        xbRows.at(xb, 0, h);
        qRows.at(q, 0, qd);
        kRows.at(k, 0, kvd);
        vRows.at(v, 0, kvd);
        attRows.at(att, 0, qd);
        oRows.at(o, 0, h);
        gateRows.at(gate, 0, ffn);
        upRows.at(up, 0, ffn);
        hiddenRows.at(hiddenOut, 0, h);
        logitInputRows.at(logitInput, 0, h);
        capacity = n;
    }

    int workers() {
        return workers;
    }
}
