package dev.jemma.constrain;

import dev.jemma.generate.ConstraintException;

/** A small de-duplicated set of stacks: the parser's state, or the successors of one step. Reused, not shared. */
final class StackSet {
    Frame[] items = new Frame[4];
    int size;
    private final int cap;

    StackSet(int cap) {
        this.cap = cap;
    }

    void add(Frame f) {
        for (int i = 0; i < size; i++) {
            Frame g = items[i];
            if (g == f || (g.hash == f.hash && g.equals(f))) return;
        }
        if (size == cap) {
            throw new ConstraintException("the grammar is too ambiguous: more than " + cap + " parses are alive at once");
        }
        if (size == items.length) items = java.util.Arrays.copyOf(items, size * 2);
        items[size++] = f;
    }

    void clear() {
        for (int i = 0; i < size; i++) items[i] = null;
        size = 0;
    }

    void copyFrom(StackSet o) {
        clear();
        for (int i = 0; i < o.size; i++) add(o.items[i]);
    }
}
