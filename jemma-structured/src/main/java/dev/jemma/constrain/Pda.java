package dev.jemma.constrain;

/**
 * The pushdown automaton's moves over a {@link Grammar}: expansion (push continuations until a terminal is on
 * top), and one byte of input on one stack. Runs end lazily: a run that may stop is left on the stack and the
 * following byte also tries the continuation after it, which keeps the state to one stack for plain JSON.
 * Non-terminals are never pushed beyond {@link ConstraintLimits#maxStackDepth()} frames.
 */
final class Pda {
    final Grammar g;
    private final int maxDepth;

    Pda(Grammar g) {
        this.g = g;
        this.maxDepth = g.limits.maxStackDepth();
    }

    StackSet newSet() {
        return new StackSet(g.limits.maxStacks());
    }

    /** All stacks that start matching node, followed by rest. */
    void expand(int node, Frame rest, StackSet out) {
        if (!g.productive[node]) return;
        switch (g.kind[node]) {
            case Grammar.LIT, Grammar.RUN -> push(node, 0, null, rest, out);
            case Grammar.NUM -> push(node, 0, "", rest, out);
            case Grammar.SEQ -> {
                int[] k = g.kids[node];
                if (k.length == 0) expandRest(rest, out);
                else expand(k[0], k.length > 1 ? frame(node, 1, rest) : rest, out);
            }
            case Grammar.ALT -> {
                for (int c : g.kids[node]) expand(c, rest, out);
            }
            case Grammar.REP -> expandRep(node, 0, rest, out);
            case Grammar.REF -> expand(g.kids[node][0], rest, out);
            default -> { }
        }
    }

    private void push(int node, int a, String data, Frame rest, StackSet out) {
        if (rest != null && rest.depth >= maxDepth) return;
        out.add(new Frame(node, a, 0, data, rest));
    }

    /** A continuation frame; depth is enforced where terminals are pushed. */
    private Frame frame(int node, int a, Frame rest) {
        return new Frame(node, a, 0, null, rest);
    }

    private void expandRep(int node, int count, Frame rest, StackSet out) {
        if (count < g.max[node] && (rest == null || rest.depth < maxDepth)) {
            int next = count + 1;
            if (g.max[node] == Grammar.INF) next = Math.min(next, g.min[node]); // saturate: only "≥ min" matters
            expand(g.kids[node][0], frame(node, next, rest), out);
        }
        if (count >= g.min[node]) expandRest(rest, out);
    }

    /** Pops continuations: what may follow once the frame on top of rest's owner is done. */
    void expandRest(Frame rest, StackSet out) {
        if (rest == null) {
            out.add(Frame.DONE);
            return;
        }
        int node = rest.node;
        if (g.kind[node] == Grammar.SEQ) {
            int[] k = g.kids[node];
            int i = rest.a;
            expand(k[i], i + 1 < k.length ? frame(node, i + 1, rest.next) : rest.next, out);
        } else {
            expandRep(node, rest.a, rest.next, out);
        }
    }

    /** Stacks after the terminal on top of stack reads byte b. exits: precomputed expandRest(stack.next), or null. */
    void step(Frame top, int b, StackSet out, StackSet exits) {
        if (top == Frame.DONE) return;
        int node = top.node;
        switch (g.kind[node]) {
            case Grammar.LIT -> {
                byte[] l = g.lit[node];
                if ((l[top.a] & 0xFF) != b) return;
                if (top.a + 1 == l.length) expandRest(top.next, out);
                else out.add(new Frame(node, top.a + 1, 0, null, top.next));
            }
            case Grammar.RUN -> {
                int count = top.a, aux = top.b;
                if (aux == 0 && count >= g.min[node]) exit(top, b, out, exits);
                if (aux != 0 || count < g.max[node]) {
                    long r = CharRun.step(g.set[node], g.escaped[node], aux, b);
                    if (r >= 0) out.add(new Frame(node, runCount(node, count, r), (int) r, null, top.next));
                }
            }
            case Grammar.NUM -> {
                NumberRange nr = g.num[node];
                if (nr.complete(top.data)) exit(top, b, out, exits);
                String q = nr.step(top.data, b);
                if (q != null) out.add(new Frame(node, 0, 0, q, top.next));
            }
            default -> throw new IllegalStateException("non-terminal on top of a stack");
        }
    }

    int runCount(int node, int count, long r) {
        if ((r & CharRun.COMPLETED) == 0) return count;
        int c = count + 1;
        return g.max[node] == Grammar.INF ? Math.min(c, g.min[node]) : c;
    }

    private void exit(Frame top, int b, StackSet out, StackSet exits) {
        if (exits == null) {
            exits = newSet();
            expandRest(top.next, exits);
        }
        for (int i = 0; i < exits.size; i++) step(exits.items[i], b, out, null);
    }

    /** Can this stack end here (the rest of it matches the empty string)? */
    boolean canFinish(Frame top) {
        if (top == Frame.DONE) return true;
        switch (g.kind[top.node]) {
            case Grammar.RUN -> {
                if (top.b != 0 || top.a < g.min[top.node]) return false;
            }
            case Grammar.NUM -> {
                if (!g.num[top.node].complete(top.data)) return false;
            }
            default -> {
                return false;
            }
        }
        for (Frame f = top.next; f != null; f = f.next) {
            if (g.kind[f.node] == Grammar.SEQ) {
                int[] k = g.kids[f.node];
                for (int i = f.a; i < k.length; i++) if (!g.nullable[k[i]]) return false;
            } else if (f.a < g.min[f.node] && !g.nullable[g.kids[f.node][0]]) {
                return false;
            }
        }
        return true;
    }
}
