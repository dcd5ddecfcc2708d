package dev.jemma.constrain;

/**
 * Computes which tokens a parser state allows by walking the {@link TokenTrie} depth-first with the state:
 * a byte that kills every stack prunes the whole subtree below it. Inside a character run (string bodies,
 * whitespace, pattern classes) the walk keeps only two ints per level and allocates nothing, because that is
 * where almost the whole vocabulary stays alive. Successor buffers are per trie depth and reused.
 */
final class MaskBuilder {
    private final Pda pda;
    private final Grammar g;
    private final TokenTrie trie;
    private final StackSet[] level;
    private long[] bits;

    MaskBuilder(Pda pda, TokenTrie trie) {
        this.pda = pda;
        this.g = pda.g;
        this.trie = trie;
        this.level = new StackSet[trie.maxTokenBytes + 2];
        for (int i = 0; i < level.length; i++) level[i] = pda.newSet();
    }

    /** The allowed text tokens of a state, one bit per token id. */
    long[] build(StackSet state) {
        bits = new long[(trie.vocab + 63) >>> 6];
        for (int i = 0; i < state.size; i++) walk(0, state.items[i], 0);
        long[] out = bits;
        bits = null;
        return out;
    }

    private void mark(int node) {
        int[] ids = trie.tokIds;
        for (int k = trie.tokStart[node], e = trie.tokStart[node + 1]; k < e; k++) bits[ids[k] >>> 6] |= 1L << ids[k];
    }

    private void walk(int t, Frame s, int depth) {
        if (s == Frame.DONE) return;
        int kind = g.kind[s.node];
        if (kind == Grammar.RUN) {
            StackSet exits = pda.newSet(); // what may follow the run: the same for its whole subtree
            pda.expandRest(s.next, exits);
            walkRun(t, s, s.a, s.b, exits, depth);
            return;
        }
        StackSet exits = null;
        if (kind == Grammar.NUM && g.num[s.node].complete(s.data)) {
            exits = pda.newSet();
            pda.expandRest(s.next, exits);
        }
        byte[] label = trie.label;
        int[] end = trie.end;
        StackSet out = level[depth];
        for (int c = t + 1, stop = end[t]; c < stop; c = end[c]) {
            out.clear();
            pda.step(s, label[c] & 0xFF, out, exits);
            if (out.size == 0) continue;
            mark(c);
            if (end[c] > c + 1) {
                for (int i = 0; i < out.size; i++) walk(c, out.items[i], depth + 1);
            }
        }
    }

    /** Walk inside the run on top of s, tracking its count and partial-character state as plain ints. */
    private void walkRun(int t, Frame s, int count, int aux, StackSet exits, int depth) {
        int node = s.node;
        CodePointSet set = g.set[node];
        boolean json = g.escaped[node];
        int min = g.min[node], max = g.max[node];
        byte[] label = trie.label;
        int[] end = trie.end;
        boolean canExit = aux == 0 && count >= min && exits.size > 0;
        boolean canGo = aux != 0 || count < max;
        StackSet out = level[depth];
        for (int c = t + 1, stop = end[t]; c < stop; c = end[c]) {
            int b = label[c] & 0xFF;
            boolean kids = end[c] > c + 1;
            if (canExit) {
                out.clear();
                for (int i = 0; i < exits.size; i++) pda.step(exits.items[i], b, out, null);
                if (out.size > 0) {
                    mark(c);
                    if (kids) for (int i = 0; i < out.size; i++) walk(c, out.items[i], depth + 1);
                }
            }
            if (canGo) {
                long r = CharRun.step(set, json, aux, b);
                if (r >= 0) {
                    mark(c);
                    if (kids) {
                        walkRun(c, s, pda.runCount(node, count, r), (int) r, exits, depth + 1);
                    }
                }
            }
        }
    }
}
