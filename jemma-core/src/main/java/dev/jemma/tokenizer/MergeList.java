package dev.jemma.tokenizer;

import java.util.Arrays;

/**
 * Merges in rank order: merge r joins (left[r], right[r]) into merged[r]. The form in which derived merges are
 * cached ({@link MergeCache}); {@link #toTable()} gives the lookup table the encoder uses.
 */
final class MergeList {
    private int[] left, right, merged;
    private int size;

    MergeList(int capacity) {
        left = new int[Math.max(1, capacity)];
        right = new int[left.length];
        merged = new int[left.length];
    }

    void add(int l, int r, int m) {
        if (size == left.length) {
            left = Arrays.copyOf(left, size * 2);
            right = Arrays.copyOf(right, size * 2);
            merged = Arrays.copyOf(merged, size * 2);
        }
        left[size] = l;
        right[size] = r;
        merged[size] = m;
        size++;
    }

    int size() {
        return size;
    }

    int left(int rank) {
        return left[rank];
    }

    int right(int rank) {
        return right[rank];
    }

    int merged(int rank) {
        return merged[rank];
    }

    PairTable toTable() {
        PairTable t = new PairTable(size);
        for (int r = 0; r < size; r++) t.put(left[r], right[r], r, merged[r]);
        return t;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof MergeList m) || m.size != size) return false;
        return Arrays.equals(left, 0, size, m.left, 0, size) && Arrays.equals(right, 0, size, m.right, 0, size)
                && Arrays.equals(merged, 0, size, m.merged, 0, size);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(Arrays.copyOf(merged, size));
    }
}
