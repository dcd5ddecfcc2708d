package dev.jemma.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The image soft tokens of a prompt: runs of {@code length} positions, each filled with one image view's embeddings
 * (entered unscaled) and seeing itself both ways (Gemma 3's attention rule). A run is never split between forward
 * passes. Each run has a content key (a hash of its embeddings) so that cached prompt prefixes match only where the
 * same image sits at the same place.
 *
 * @param starts     prompt index of each run's first soft token, ascending
 * @param length     soft tokens per run
 * @param embeddings per run, {@code length × hidden} floats
 */
public record ImageRuns(int[] starts, int length, float[][] embeddings) {
    public ImageRuns {
        if (starts.length != embeddings.length) throw new IllegalArgumentException(starts.length + " runs, " + embeddings.length + " embeddings");
        if (length < 1) throw new IllegalArgumentException("run length " + length);
        for (int i = 0; i < starts.length; i++) {
            if (starts[i] < 0 || i > 0 && starts[i] < starts[i - 1] + length) throw new IllegalArgumentException("runs overlap or are out of order");
            if (embeddings[i].length % length != 0) throw new IllegalArgumentException("run " + i + ": " + embeddings[i].length + " floats");
        }
        starts = starts.clone();
    }

    public static final ImageRuns NONE = new ImageRuns(new int[0], 1, new float[0][]);

    public int count() {
        return starts.length;
    }

    /** Checks the runs against the prompt and the model's width. */
    public void check(int promptLength, int hidden) {
        for (int i = 0; i < starts.length; i++) {
            if (starts[i] + length > promptLength) throw new IllegalArgumentException("image run " + i + " ends past the prompt");
            if (embeddings[i].length != length * hidden) {
                throw new IllegalArgumentException("image run " + i + ": " + embeddings[i].length + " floats, expected " + length + " × " + hidden);
            }
        }
    }

    /** The run holding prompt index p, or -1. */
    public int runAt(int p) {
        for (int i = 0; i < starts.length; i++) if (p >= starts[i] && p < starts[i] + length) return i;
        return -1;
    }

    /**
     * The prompt as the prefix cache should compare it: soft tokens replaced by negative ids derived from their
     * run's content, which no real token equals.
     */
    public int[] cacheKey(int[] prompt) {
        if (starts.length == 0) return prompt;
        int[] key = prompt.clone();
        for (int i = 0; i < starts.length; i++) {
            long h = hash(embeddings[i]); // 64 bits over the run's positions (two halves alternate)
            for (int t = 0; t < length; t++) {
                int half = (int) (t % 2 == 0 ? h : h >>> 32);
                key[starts[i] + t] = -1 - ((half ^ t * 0x9E3779B9) & 0x7fffffff);
            }
        }
        return key;
    }

    private static long hash(float[] v) {
        long h = 0x9E3779B97F4A7C15L;
        for (float f : v) {
            h ^= Float.floatToRawIntBits(f);
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 29;
        }
        return h;
    }

    /** The end of the pass that starts at {@code from}: at most {@code from + chunk}, moved so no run is split. */
    public int chunkEnd(int from, int end, int chunk) {
        int e = Math.min(end, from + chunk);
        int r = runAt(e - 1);
        if (r >= 0 && starts[r] + length > e) {
            // the run would be cut: stop before it, or take it whole when it starts the pass
            e = starts[r] > from ? starts[r] : Math.min(end, starts[r] + length);
        }
        return e;
    }

    /** Where a prompt whose first {@code kept} positions are cached may resume: never inside a run. */
    public int resumeAt(int kept) {
        int r = runAt(kept);
        return r >= 0 ? Math.min(kept, starts[r]) : kept;
    }

    /**
     * Segment {@code seg} of {@code b} holds prompt positions [from, to): its rows in runs get their embeddings, and
     * the runs inside see themselves both ways.
     */
    public void addTo(ForwardBatch b, int seg, int from, int to, int hidden) {
        int first = b.firstRow(seg);
        for (int t = from; t < to; t++) {
            int r = runAt(t);
            if (r >= 0) b.embedding(first + t - from, embeddings[r], (t - starts[r]) * hidden, hidden);
        }
        int[][] spans = spans(from, to);
        if (spans.length > 0) b.visibility(seg, new BidirectionalSpans(spans));
    }

    /** Absolute spans {start, end} of the runs inside [from, to). */
    public int[][] spans(int from, int to) {
        List<int[]> out = new ArrayList<>();
        for (int s : starts) if (s >= from && s + length <= to) out.add(new int[]{s, s + length});
        return out.toArray(new int[0][]);
    }
}
