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
    InferenceState[] states = new InferenceState[4];
    int[] firstRow = new int[4];
    int[] rowCount = new int[4];
    Logits[] logitModes = new Logits[4];
    LinearAdapter[] adapters = new LinearAdapter[4];
    Visibility[] visibility = new Visibility[4];
    /** first logit row of each segment, set by {@link #logitRows()} */
    int[] firstLogitRow = new int[4];
    float[] logits;
    int logitsOffset;
    Arithmetic arithmetic = Arithmetic.FAST;
    ActivationRecorder recorder;

    public ForwardBatch clear() {
        Arrays.fill(states, 0, segments, null);
        Arrays.fill(adapters, 0, segments, null);
        Arrays.fill(visibility, 0, segments, null);
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
     * Adds a segment: tokens[off..off+n) at the state's next positions, causal, no adapter. Returns its index.
     */
    public int add(InferenceState state, int[] tokens, int off, int n, Logits logits) {
        if (n < 1 || off < 0 || off + n > tokens.length) throw new IllegalArgumentException("bad token range " + off + "+" + n);
        int seg = addRows(state, n, logits);
        System.arraycopy(tokens, off, this.tokens, firstRow[seg], n);
        return seg;
    }

    /** Adds a one-token segment. */
    public int add(InferenceState state, int token, Logits logits) {
        int seg = addRows(state, 1, logits);
        tokens[firstRow[seg]] = token;
        return seg;
    }

    private int addRows(InferenceState state, int n, Logits logits) {
        if (state == null || logits == null) throw new IllegalArgumentException("state and logits mode are required");
        for (int i = 0; i < segments; i++) {
            if (states[i] == state) throw new IllegalArgumentException("a sequence may appear once per batch");
        }
        if (segments == states.length) {
            int c = 2 * segments;
            states = Arrays.copyOf(states, c);
            firstRow = Arrays.copyOf(firstRow, c);
            rowCount = Arrays.copyOf(rowCount, c);
            logitModes = Arrays.copyOf(logitModes, c);
            adapters = Arrays.copyOf(adapters, c);
            visibility = Arrays.copyOf(visibility, c);
            firstLogitRow = Arrays.copyOf(firstLogitRow, c);
        }
        if (rows + n > tokens.length) {
            int c = Math.max(2 * tokens.length, rows + n);
            tokens = Arrays.copyOf(tokens, c);
            embedded = Arrays.copyOf(embedded, c);
        }
        int seg = segments++;
        states[seg] = state;
        firstRow[seg] = rows;
        rowCount[seg] = n;
        logitModes[seg] = logits;
        visibility[seg] = Visibility.CAUSAL;
        rows += n;
        return seg;
    }

    /** Replaces row {@code row}'s token embedding by {@code hidden} floats from src[off..] (not scaled). */
    public void embedding(int row, float[] src, int off, int hidden) {
        if (row < 0 || row >= rows) throw new IllegalArgumentException("row " + row + " of " + rows);
        if (embeddings.length < rows * hidden) embeddings = Arrays.copyOf(embeddings, Math.max(tokens.length * hidden, rows * hidden));
        System.arraycopy(src, off, embeddings, row * hidden, hidden);
        embedded[row] = true;
    }

    public void adapter(int segment, LinearAdapter adapter) {
        adapters[check(segment)] = adapter;
    }

    public void visibility(int segment, Visibility v) {
        if (v == null) throw new IllegalArgumentException("visibility is required");
        visibility[check(segment)] = v;
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
        return firstRow[check(segment)];
    }

    /** Number of logit rows the batch produces; also fixes each segment's {@link #firstLogitRow}. */
    public int logitRows() {
        int n = 0;
        for (int s = 0; s < segments; s++) {
            firstLogitRow[s] = n;
            n += switch (logitModes[s]) {
                case NONE -> 0;
                case LAST -> 1;
                case ALL -> rowCount[s];
            };
        }
        return n;
    }

    /** Index of the segment's first logit row in the logits array (in vocabulary rows). */
    public int firstLogitRow(int segment) {
        logitRows();
        return firstLogitRow[check(segment)];
    }

    private int check(int segment) {
        if (segment < 0 || segment >= segments) throw new IllegalArgumentException("segment " + segment + " of " + segments);
        return segment;
    }
}
