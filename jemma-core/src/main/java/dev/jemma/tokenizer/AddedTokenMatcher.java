package dev.jemma.tokenizer;

import java.util.Arrays;

/**
 * Finds added tokens in raw text, leftmost-longest and non-overlapping (the semantics of the Hugging Face
 * added vocabulary). A character trie: scanning costs O(text length x longest token), independent of the
 * number of tokens, and positions whose character starts no token are skipped with one bit test.
 */
final class AddedTokenMatcher {
    private static final long EMPTY = -1L;

    private final long[] firstChars = new long[1024]; // bit set over UTF-16 code units
    private long[] edgeKeys;   // (node << 16 | char)
    private int[] edgeTargets;
    private int edgeMask;
    private int edgeCount;
    private int[] terminal;    // token id ending at node, or -1
    private int nodeCount = 1; // node 0 = root
    private int maxLength;

    AddedTokenMatcher(int expectedChars) {
        int cap = Integer.highestOneBit(Math.max(16, expectedChars * 2)) << 1;
        edgeKeys = new long[cap];
        Arrays.fill(edgeKeys, EMPTY);
        edgeTargets = new int[cap];
        edgeMask = cap - 1;
        terminal = new int[Math.max(16, expectedChars + 1)];
        Arrays.fill(terminal, -1);
    }

    /** Adds a token; an already present text keeps its first id. Empty texts are ignored. */
    void add(String text, int id) {
        if (text.isEmpty()) return;
        int node = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int child = child(node, c);
            if (child < 0) child = addChild(node, c);
            node = child;
        }
        if (terminal[node] < 0) terminal[node] = id;
        char f = text.charAt(0);
        firstChars[f >>> 6] |= 1L << f;
        maxLength = Math.max(maxLength, text.length());
    }

    private int hash(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 31)) & edgeMask;
    }

    private int child(int node, char c) {
        long k = ((long) node << 16) | c;
        int i = hash(k);
        while (true) {
            long e = edgeKeys[i];
            if (e == k) return edgeTargets[i];
            if (e == EMPTY) return -1;
            i = (i + 1) & edgeMask;
        }
    }

    private int addChild(int node, char c) {
        if ((edgeCount + 1) * 2 > edgeMask + 1) growEdges();
        int id = nodeCount++;
        if (id >= terminal.length) {
            int old = terminal.length;
            terminal = Arrays.copyOf(terminal, old * 2);
            Arrays.fill(terminal, old, terminal.length, -1);
        }
        insertEdge(((long) node << 16) | c, id);
        edgeCount++;
        return id;
    }

    private void insertEdge(long k, int target) {
        int i = hash(k);
        while (edgeKeys[i] != EMPTY) i = (i + 1) & edgeMask;
        edgeKeys[i] = k;
        edgeTargets[i] = target;
    }

    private void growEdges() {
        long[] oldKeys = edgeKeys;
        int[] oldTargets = edgeTargets;
        edgeKeys = new long[oldKeys.length * 2];
        Arrays.fill(edgeKeys, EMPTY);
        edgeTargets = new int[oldKeys.length * 2];
        edgeMask = edgeKeys.length - 1;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) insertEdge(oldKeys[i], oldTargets[i]);
        }
    }

    boolean isEmpty() {
        return nodeCount == 1;
    }

    /** True when some token starts with this UTF-16 code unit. */
    boolean mayStartAt(char c) {
        return (firstChars[c >>> 6] & (1L << c)) != 0;
    }

    /**
     * The longest token starting at {@code pos}: (length << 32 | id), or -1 when none starts there.
     */
    long longestAt(CharSequence text, int pos) {
        int node = 0;
        long best = -1L;
        int end = Math.min(text.length(), pos + maxLength);
        for (int i = pos; i < end; i++) {
            node = child(node, text.charAt(i));
            if (node < 0) break;
            int t = terminal[node];
            if (t >= 0) best = ((long) (i + 1 - pos) << 32) | t;
        }
        return best;
    }
}
