package dev.jemma.constrain;

import dev.jemma.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Every text token's bytes in one trie, nodes in depth-first order so a subtree is the index range
 * [node, end[node]) and a dead prefix skips its whole subtree in one jump. A mask walks this trie once with the
 * parser state instead of checking each of the 262k tokens. Built once per tokenizer and cached.
 */
public final class TokenTrie {
    private static final Map<Tokenizer, TokenTrie> CACHE = new WeakHashMap<>();

    final byte[] label;
    final int[] end;
    final int[] tokStart;
    final int[] tokIds;
    final byte[][] bytes;
    final int vocab;
    final int maxTokenBytes;

    public static TokenTrie of(Tokenizer tok) {
        synchronized (CACHE) {
            return CACHE.computeIfAbsent(tok, TokenTrie::new);
        }
    }

    private TokenTrie(Tokenizer tok) {
        vocab = tok.vocabularySize();
        bytes = new byte[vocab][];
        Integer[] order = new Integer[vocab];
        int m = 0, maxLen = 0;
        for (int id = 0; id < vocab; id++) {
            byte[] b = tok.tokenBytes(id);
            if (b == null || b.length == 0) continue; // control tokens and empty pieces never stand for text
            bytes[id] = b;
            order[m++] = id;
            maxLen = Math.max(maxLen, b.length);
        }
        maxTokenBytes = maxLen;
        Arrays.sort(order, 0, m, (x, y) -> Arrays.compareUnsigned(bytes[x], bytes[y]));
        int cap = 1 << 16;
        byte[] lab = new byte[cap];
        int[] en = new int[cap];
        int[] tokCount = new int[cap];
        int[] tokNode = new int[m];
        int[] path = new int[maxLen + 1]; // path[d] = node at depth d (path[0] = root)
        int nodes = 1;
        int depth = 0;
        byte[] prev = new byte[0];
        for (int i = 0; i < m; i++) {
            byte[] b = bytes[order[i]];
            int lcp = 0;
            while (lcp < prev.length && lcp < b.length && prev[lcp] == b[lcp]) lcp++;
            while (depth > lcp) en[path[depth--]] = nodes;
            for (int d = lcp; d < b.length; d++) {
                if (nodes == lab.length) {
                    lab = Arrays.copyOf(lab, nodes * 2);
                    en = Arrays.copyOf(en, nodes * 2);
                    tokCount = Arrays.copyOf(tokCount, nodes * 2);
                }
                lab[nodes] = b[d];
                path[++depth] = nodes++;
            }
            tokNode[i] = path[depth];
            tokCount[path[depth]]++;
            prev = b;
        }
        while (depth > 0) en[path[depth--]] = nodes;
        en[0] = nodes;
        label = Arrays.copyOf(lab, nodes);
        end = Arrays.copyOf(en, nodes);
        tokStart = new int[nodes + 1];
        for (int i = 0; i < nodes; i++) tokStart[i + 1] = tokStart[i] + tokCount[i];
        tokIds = new int[m];
        int[] fill = Arrays.copyOf(tokStart, nodes);
        for (int i = 0; i < m; i++) tokIds[fill[tokNode[i]]++] = order[i];
    }

    /** Nodes in the trie (root included). */
    public int nodes() {
        return label.length;
    }

    public int maxTokenBytes() {
        return maxTokenBytes;
    }

    /** The token's text bytes, or null for a control token. */
    byte[] bytes(int id) {
        return id >= 0 && id < vocab ? bytes[id] : null;
    }
}
