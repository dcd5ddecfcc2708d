package dev.jemma.tokenizer;

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
        int bits = Math.max(4, 32 - Integer.numberOfLeadingZeros(2 * pieces.length - 1)); // at most half full
        slots = new int[1 << bits];
        shift = 32 - bits;
        indexed = new java.util.BitSet(pieces.length);
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
