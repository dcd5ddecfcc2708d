package dev.jemma.tokenizer;

import java.util.Arrays;

/**
 * Piece text → id, an open-addressing table of ids over the pieces array. Unlike a {@code HashMap<String,
 * Integer>} it holds one int per slot (no entries, no boxed ids), builds in a fraction of the time at start-up,
 * and can look up a substring {@code s[from, to)} without allocating it (what deriving the merges needs).
 * Filled once by the loader that created it, then read-only.
 */
final class PieceIndex {
    private final String[] pieces;
    /** id + 1 of the piece in each slot, 0 for an empty slot */
    private final int[] slots;
    private final int shift;
    private int size;
    /** the ids that are in the table (for a duplicate text, only the first) */
    private final java.util.BitSet indexed;

    /** An empty index over {@code pieces} (by id) with room for all of them; add ids with {@link #putIfAbsent}. */
    PieceIndex(String[] pieces) {
        this.pieces = pieces;
        if (pieces.length > 1 << 29) throw new TokenizerFormatException("vocabulary too large: " + pieces.length + " pieces");
        slots = new int[slotCount(pieces.length)];
        shift = Integer.numberOfLeadingZeros(slots.length) + 1;
        indexed = new java.util.BitSet(pieces.length);
    }

    private PieceIndex(String[] pieces, int[] slots, java.util.BitSet indexed, int size) {
        this.pieces = pieces;
        this.slots = slots;
        this.shift = Integer.numberOfLeadingZeros(slots.length) + 1;
        this.indexed = indexed;
        this.size = size;
    }

    /** The table size for a vocabulary of n pieces: a power of two, at most half full. */
    static int slotCount(int n) {
        return 1 << Math.max(4, 32 - Integer.numberOfLeadingZeros(2 * n - 1));
    }

    /**
     * An index over {@code pieces} from a stored {@link #slots()} and {@link #indexedWords()} (see
     * {@link TableSnapshot}), or null when they do not fit the vocabulary: a wrong slot count, an id out of range, a
     * slot whose id is not marked indexed, or marks and filled slots that differ in number.
     */
    static PieceIndex restore(String[] pieces, int[] slots, long[] indexedWords) {
        int n = pieces.length;
        if (slots.length != slotCount(n) || indexedWords.length != (n + 63) / 64) return null;
        java.util.BitSet indexed = java.util.BitSet.valueOf(indexedWords);
        if (indexed.length() > n) return null;
        int size = 0;
        for (int e : slots) {
            if (e == 0) continue;
            if (e < 0 || e > n || !indexed.get(e - 1)) return null;
            size++;
        }
        if (size != indexed.cardinality()) return null;
        return new PieceIndex(pieces, slots, indexed, size);
    }

    /** The slots as stored ({@link TableSnapshot}); not a copy. */
    int[] slots() {
        return slots;
    }

    /** The indexed-id bit set as (n + 63) / 64 words. */
    long[] indexedWords() {
        return Arrays.copyOf(indexed.toLongArray(), (pieces.length + 63) / 64);
    }

    /** An index of every piece, the first id winning for duplicate texts; duplicate ids go to {@code duplicates}. */
    static PieceIndex of(String[] pieces, Tokenizer.IntBuffer duplicates) {
        PieceIndex index = new PieceIndex(pieces);
        for (int id = 0; id < pieces.length; id++) {
            if (!index.putIfAbsent(id) && duplicates != null) duplicates.add(id);
        }
        return index;
    }

    private int slot(int hash) {
        return (hash * 0x9E3779B9) >>> shift; // Fibonacci hashing: String hashes are poor in the low bits
    }

    /** Adds pieces[id] unless a piece with the same text is already in; false when it was. */
    boolean putIfAbsent(int id) {
        String p = pieces[id];
        int mask = slots.length - 1;
        for (int i = slot(p.hashCode()); ; i = (i + 1) & mask) {
            int e = slots[i];
            if (e == 0) {
                slots[i] = id + 1;
                size++;
                indexed.set(id);
                return true;
            }
            if (pieces[e - 1].equals(p)) return false;
        }
    }

    /** The id of the piece with this text, or -1. */
    int get(String s) {
        int mask = slots.length - 1;
        for (int i = slot(s.hashCode()); ; i = (i + 1) & mask) {
            int e = slots[i];
            if (e == 0) return -1;
            if (pieces[e - 1].equals(s)) return e - 1;
        }
    }

    /** The id of the piece whose text is s[from, to), or -1; allocates nothing. */
    int get(String s, int from, int to) {
        int h = 0;
        for (int k = from; k < to; k++) h = 31 * h + s.charAt(k); // String.hashCode of the substring
        int len = to - from, mask = slots.length - 1;
        for (int i = slot(h); ; i = (i + 1) & mask) {
            int e = slots[i];
            if (e == 0) return -1;
            String p = pieces[e - 1];
            if (p.length() == len && s.regionMatches(from, p, 0, len)) return e - 1;
        }
    }

    /** Whether looking up pieces[id]'s text gives id (false for a later duplicate or an id never added). */
    boolean owns(int id) {
        return indexed.get(id);
    }

    int size() {
        return size;
    }
}
