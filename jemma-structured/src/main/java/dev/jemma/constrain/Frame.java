package dev.jemma.constrain;

import java.util.Objects;

/**
 * One entry of a persistent (shared, immutable) pushdown stack. The top of a live stack is a terminal being
 * matched (LIT: a = bytes matched; RUN: a = characters, b = partial-character state; NUM: data = digits so far);
 * below it are continuations (SEQ: a = next child; REP: a = repetitions so far). {@link #DONE} is the empty
 * stack: the grammar has been matched completely. Sharing tails makes forking a parse O(1).
 */
final class Frame {
    static final Frame DONE = new Frame(-1, 0, 0, null, null);

    final int node, a, b;
    final String data;
    final Frame next;
    final int depth;
    final int hash;

    Frame(int node, int a, int b, String data, Frame next) {
        this.node = node;
        this.a = a;
        this.b = b;
        this.data = data;
        this.next = next;
        this.depth = next == null ? 1 : next.depth + 1;
        int h = ((node * 31 + a) * 31 + b) * 31 + (data == null ? 0 : data.hashCode());
        this.hash = h * 31 + (next == null ? 0 : next.hash);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Frame f)) return false;
        Frame x = this;
        while (x != f) {
            if (x == null || f == null || x.hash != f.hash || x.node != f.node || x.a != f.a || x.b != f.b
                    || !Objects.equals(x.data, f.data)) return false;
            x = x.next;
            f = f.next;
        }
        return true;
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
