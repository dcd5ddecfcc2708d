package dev.jemma.model;

import java.util.Arrays;

/**
 * Causal attention except inside the given spans of positions, whose rows all see each other both ways (Gemma
 * 3's image-token runs). The spans must not overlap; a span's rows must be computed in one forward pass.
 */
public final class BidirectionalSpans implements Visibility {
    private final int[] starts, ends;

    /** @param spans pairs {start, end} of positions [start, end) */
    public BidirectionalSpans(int[][] spans) {
        int[][] sorted = spans.clone();
        Arrays.sort(sorted, (a, b) -> Integer.compare(a[0], b[0]));
        starts = new int[sorted.length];
        ends = new int[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            int s = sorted[i][0], e = sorted[i][1];
            if (s < 0 || e <= s) throw new IllegalArgumentException("bad span [" + s + ", " + e + ")");
            if (i > 0 && s < ends[i - 1]) throw new IllegalArgumentException("spans overlap at " + s);
            starts[i] = s;
            ends[i] = e;
        }
    }

    @Override
    public int lastVisibleKey(int q) {
        int i = Arrays.binarySearch(starts, q);
        if (i < 0) i = -i - 2;
        return i >= 0 && q < ends[i] ? ends[i] - 1 : q;
    }
}
