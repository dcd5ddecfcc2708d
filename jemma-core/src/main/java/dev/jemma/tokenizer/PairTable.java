package dev.jemma.tokenizer;

import java.util.Arrays;

/**
 * Open-addressing hash table from a symbol pair (leftId, rightId) to (merge rank, merged id).
 * Keys are packed into one long, so a lookup allocates nothing. Immutable after {@link #put} calls
 * made by the builder that created it.
 */
final class PairTable {
    private static final long EMPTY = -1L;

    private final long[] keys;
    /** rank in the high 32 bits, merged id in the low 32 bits */
    private final long[] values;
    private final int mask;
    private int size;

    PairTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new long[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    private PairTable(long[] keys, long[] values, int size) {
        this.keys = keys;
        this.values = values;
        this.mask = keys.length - 1;
        this.size = size;
    }

    /**
     * A table from stored {@link #keys()} and {@link #values()} (see {@link TableSnapshot}), or null when they do not
     * form one over a vocabulary of {@code vocabSize} ids: a size that is not a power of two, an id or rank out of
     * range, or a pair count that differs from {@code size}. (Whether each pair sits where its hash leads is not
     * checked: a misplaced pair is only never found.)
     */
    static PairTable restore(long[] keys, long[] values, int size, int vocabSize) {
        int cap = keys.length;
        if (cap < 16 || Integer.bitCount(cap) != 1 || values.length != cap || size > cap * 3L / 4) return null;
        int count = 0;
        for (int i = 0; i < cap; i++) {
            long k = keys[i];
            if (k == EMPTY) continue;
            int left = (int) (k >>> 32), right = (int) k, rank = (int) (values[i] >>> 32), merged = (int) values[i];
            if (left < 0 || left >= vocabSize || right < 0 || right >= vocabSize || merged < 0 || merged >= vocabSize
                    || rank < 0) {
                return null;
            }
            count++;
        }
        return count == size ? new PairTable(keys, values, size) : null;
    }

    /** The key slots as stored ({@link TableSnapshot}); not a copy. */
    long[] keys() {
        return keys;
    }

    /** The value slots, beside {@link #keys()}. */
    long[] values() {
        return values;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    /** Stores (or replaces) the pair's rank and merged id. */
    void put(int left, int right, int rank, int merged) {
        long k = key(left, right);
        int i = slot(k);
        while (keys[i] != EMPTY && keys[i] != k) i = (i + 1) & mask;
        if (keys[i] == EMPTY) {
            if (++size > (mask + 1) * 3 / 4) throw new IllegalStateException("pair table full");
            keys[i] = k;
        }
        values[i] = ((long) rank << 32) | (merged & 0xFFFFFFFFL);
    }

    /** (rank << 32 | mergedId) of the pair, or -1 when the pair does not merge. */
    long get(int left, int right) {
        long k = key(left, right);
        int i = slot(k);
        long[] ks = keys;
        while (true) {
            long c = ks[i];
            if (c == k) return values[i];
            if (c == EMPTY) return -1L;
            i = (i + 1) & mask;
        }
    }

    /** Calls action(left, right, rank, merged) for every pair, in no particular order. */
    void forEach(PairAction action) {
        for (int i = 0; i < keys.length; i++) {
            long k = keys[i];
            if (k != EMPTY) action.accept((int) (k >>> 32), (int) k, (int) (values[i] >>> 32), (int) values[i]);
        }
    }

    interface PairAction {
        void accept(int left, int right, int rank, int merged);
    }

    int size() {
        return size;
    }
}
