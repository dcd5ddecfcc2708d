package dev.jemma.generate;

import java.util.Arrays;

/** A growable list of ints (token ids) without boxing. */
public final class IntList {
    private int[] a = new int[16];
    private int size;

    public void add(int v) {
        if (size == a.length) a = Arrays.copyOf(a, a.length * 2);
        a[size++] = v;
    }

    public void addAll(int[] vs) {
        for (int v : vs) add(v);
    }

    public int get(int i) {
        if (i >= size) throw new IndexOutOfBoundsException(i);
        return a[i];
    }

    public int size() {
        return size;
    }

    public void clear() {
        size = 0;
    }

    /** Keeps the first n values. */
    public void truncate(int n) {
        if (n < 0 || n > size) throw new IndexOutOfBoundsException(n);
        size = n;
    }

    public int[] toArray() {
        return Arrays.copyOf(a, size);
    }

    /** The backing array; valid up to size(). */
    public int[] raw() {
        return a;
    }
}
