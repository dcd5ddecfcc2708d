package dev.jemma.model;

import dev.jemma.tensor.Arithmetic;

import java.util.Arrays;

/**
 * The input of one forward pass: rows, grouped in segments. A segment is a run of consecutive positions of one
 * sequence ({@link InferenceState}), starting at the state's next position: a prefill chunk, one decode token,
 * or draft tokens to verify. Each row is a token id or an input embedding (image soft tokens, entered unscaled).
 * Per segment: which logits to produce, an optional {@link LinearAdapter} and a {@link Visibility} rule. Logit
 * rows are written to the {@link #logits(float[]) logits array} in the order requested, one vocabulary row each.
 *
 * <p>Reusable: {@link #clear()} and fill again; grows as needed, so a steady loop allocates nothing. Not
 * thread-safe.
 */
public final class ForwardBatch {
    /** Which positions of a segment get logits. */
    public enum Logits { NONE, LAST, ALL }

    int rows, segments;
    int[] tokens = new int[16];
    /** input embeddings by row (rows × hidden), used where {@link #embedded} is set */
    float[] embeddings = new float[0];
    boolean[] embedded = new boolean[16];
    Segment[] segs = new Segment[0];
    float[] logits;
    int logitsOffset;
    Arithmetic arithmetic = Arithmetic.FAST;
    ActivationRecorder recorder;

    /** One sequence's rows in the batch. */
    static final class Segment {
        InferenceState state;
        int firstRow, rows;
        Logits logits;
        LinearAdapter adapter;
        Visibility visibility;
        /** index of the segment's first logit row, set by {@link #logitRows()} */
        int firstLogitRow;
    }

    public ForwardBatch clear() {
        for (int i = 0; i < segments; i++) {
            segs[i].state = null;
            segs[i].adapter = null;
        }
        Arrays.fill(embedded, 0, rows, false);
        rows = 0;
        segments = 0;
        logits = null;
        logitsOffset = 0;
        recorder = null;
        arithmetic = Arithmetic.FAST;
        return this;
    }

    /**
     * Adds a segment: tokens[off..off+n) at the state's next positions, causal, with the state's adapter. Returns
     * its index.
     */
    public int add(InferenceState state, int[] tokens, int off, int n, Logits logits) {
        if (n < 1 || off < 0 || off + n > tokens.length) throw new IllegalArgumentException("bad token range " + off + "+" + n);
        int seg = addRows(state, n, logits);
        System.arraycopy(tokens, off, this.tokens, segs[seg].firstRow, n);
        return seg;
    }

    /** Adds a one-token segment. */
    public int add(InferenceState state, int token, Logits logits) {
        int seg = addRows(state, 1, logits);
        tokens[segs[seg].firstRow] = token;
        return seg;
    }

    private int addRows(InferenceState state, int n, Logits logits) {
        if (state == null || logits == null) throw new IllegalArgumentException("state and logits mode are required");
        for (int i = 0; i < segments; i++) {
            if (segs[i].state == state) throw new IllegalArgumentException("a sequence may appear once per batch");
        }
        if (segments == segs.length) {
            segs = Arrays.copyOf(segs, Math.max(4, 2 * segments));
            for (int i = segments; i < segs.length; i++) segs[i] = new Segment();
        }
        if (rows + n > tokens.length) {
            int c = Math.max(2 * tokens.length, rows + n);
            tokens = Arrays.copyOf(tokens, c);
            embedded = Arrays.copyOf(embedded, c);
        }
        Segment seg = segs[segments];
        seg.state = state;
        seg.firstRow = rows;
        seg.rows = n;
        seg.logits = logits;
        seg.adapter = state.adapter; // the sequence's own; adapter(segment, a) may replace it for this pass
        seg.visibility = Visibility.CAUSAL;
        rows += n;
        return segments++;
    }

    /** Replaces row {@code row}'s token embedding by {@code hidden} floats from src[off..] (not scaled). */
    public void embedding(int row, float[] src, int off, int hidden) {
        if (row < 0 || row >= rows) throw new IllegalArgumentException("row " + row + " of " + rows);
        if (embeddings.length < rows * hidden) embeddings = Arrays.copyOf(embeddings, Math.max(tokens.length * hidden, rows * hidden));
        System.arraycopy(src, off, embeddings, row * hidden, hidden);
        embedded[row] = true;
    }

    public void adapter(int segment, LinearAdapter adapter) {
        segs[check(segment)].adapter = adapter;
    }

    public void visibility(int segment, Visibility v) {
        if (v == null) throw new IllegalArgumentException("visibility is required");
        segs[check(segment)].visibility = v;
    }

    /** Where logit rows go: at least {@link #logitRows()} × vocabulary floats. */
    public void logits(float[] out) {
        logits(out, 0);
    }

    /** As above, the first logit row at out[offset]. */
    public void logits(float[] out, int offset) {
        if (offset < 0) throw new IllegalArgumentException("offset " + offset);
        logits = out;
        logitsOffset = offset;
    }

    public void arithmetic(Arithmetic a) {
        arithmetic = a;
    }

    public void recorder(ActivationRecorder r) {
        recorder = r;
    }

    public int rows() {
        return rows;
    }

    public int segments() {
        return segments;
    }

    /** First row of a segment (rows are numbered across the batch). */
    public int firstRow(int segment) {
        return segs[check(segment)].firstRow;
    }

    /** Number of logit rows the batch produces; also fixes each segment's {@link #firstLogitRow}. */
    public int logitRows() {
        int n = 0;
        for (int i = 0; i < segments; i++) {
            Segment s = segs[i];
            s.firstLogitRow = n;
            n += switch (s.logits) {
                case NONE -> 0;
                case LAST -> 1;
                case ALL -> s.rows;
            };
        }
        return n;
    }

    /** Index of the segment's first logit row in the logits array (in vocabulary rows). */
    public int firstLogitRow(int segment) {
        logitRows();
        return segs[check(segment)].firstLogitRow;
    }

    private int check(int segment) {
        if (segment < 0 || segment >= segments) throw new IllegalArgumentException("segment " + segment + " of " + segments);
        return segment;
    }
}
