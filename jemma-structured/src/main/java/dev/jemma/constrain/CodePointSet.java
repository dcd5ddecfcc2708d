package dev.jemma.constrain;

import java.util.Arrays;

/**
 * An immutable set of Unicode scalar values (surrogates never included) as sorted, disjoint, non-adjacent
 * ranges, with a bitmap for ASCII because almost every lookup is ASCII.
 */
public final class CodePointSet {
    public static final int MAX = 0x10FFFF;
    private static final int SUR_LO = 0xD800, SUR_HI = 0xDFFF;

    /** lo0, hi0, lo1, hi1, ... inclusive */
    private final int[] ranges;
    private final long ascii0, ascii1;

    public static final CodePointSet EMPTY = new CodePointSet(new int[0]);
    public static final CodePointSet ALL = of(0, MAX);

    private CodePointSet(int[] normalized) {
        this.ranges = normalized;
        long a0 = 0, a1 = 0;
        for (int c = 0; c < 128; c++) {
            if (containsSlow(c)) {
                if (c < 64) a0 |= 1L << c;
                else a1 |= 1L << (c - 64);
            }
        }
        ascii0 = a0;
        ascii1 = a1;
    }

    public static CodePointSet of(int lo, int hi) {
        return fromRanges(new int[] {lo, hi});
    }

    public static CodePointSet ofChars(String chars) {
        int[] r = new int[chars.codePointCount(0, chars.length()) * 2];
        int i = 0;
        for (int cp : chars.codePoints().toArray()) {
            r[i++] = cp;
            r[i++] = cp;
        }
        return fromRanges(r);
    }

    /** Sorts and merges arbitrary inclusive ranges, dropping surrogates. */
    public static CodePointSet fromRanges(int[] raw) {
        int n = raw.length / 2;
        long[] packed = new long[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            int lo = Math.max(0, raw[2 * i]), hi = Math.min(MAX, raw[2 * i + 1]);
            if (lo > hi) continue;
            packed[m++] = ((long) lo << 32) | hi;
        }
        Arrays.sort(packed, 0, m);
        int[] out = new int[m * 2 + 2];
        int k = 0;
        for (int i = 0; i < m; i++) {
            int lo = (int) (packed[i] >>> 32), hi = (int) packed[i];
            if (k > 0 && lo <= out[k - 1] + 1) {
                out[k - 1] = Math.max(out[k - 1], hi);
            } else {
                out[k++] = lo;
                out[k++] = hi;
            }
        }
        // cut the surrogate block out: they are not characters and cannot be encoded in UTF-8
        int[] res = new int[k + 2];
        int j = 0;
        for (int i = 0; i < k; i += 2) {
            int lo = out[i], hi = out[i + 1];
            if (hi < SUR_LO || lo > SUR_HI) {
                res[j++] = lo;
                res[j++] = hi;
            } else {
                if (lo < SUR_LO) { res[j++] = lo; res[j++] = SUR_LO - 1; }
                if (hi > SUR_HI) { res[j++] = SUR_HI + 1; res[j++] = hi; }
            }
        }
        return new CodePointSet(Arrays.copyOf(res, j));
    }

    public CodePointSet union(CodePointSet o) {
        int[] r = Arrays.copyOf(ranges, ranges.length + o.ranges.length);
        System.arraycopy(o.ranges, 0, r, ranges.length, o.ranges.length);
        return fromRanges(r);
    }

    public CodePointSet complement() {
        int[] r = new int[ranges.length + 2];
        int k = 0, next = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            if (ranges[i] > next) { r[k++] = next; r[k++] = ranges[i] - 1; }
            next = ranges[i + 1] + 1;
        }
        if (next <= MAX) { r[k++] = next; r[k++] = MAX; }
        return fromRanges(Arrays.copyOf(r, k));
    }

    public CodePointSet minus(CodePointSet o) {
        return complement().union(o).complement();
    }

    public boolean isEmpty() {
        return ranges.length == 0;
    }

    public boolean contains(int cp) {
        if (cp < 64) return cp >= 0 && (ascii0 >>> cp & 1) != 0;
        if (cp < 128) return (ascii1 >>> (cp - 64) & 1) != 0;
        return containsSlow(cp);
    }

    private boolean containsSlow(int cp) {
        int lo = 0, hi = ranges.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (cp < ranges[2 * mid]) hi = mid - 1;
            else if (cp > ranges[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }

    /** True when some member lies in [lo, hi]. */
    public boolean intersects(int lo, int hi) {
        if (lo > hi) return false;
        // first range whose end ≥ lo
        int a = 0, b = ranges.length / 2;
        while (a < b) {
            int mid = (a + b) >>> 1;
            if (ranges[2 * mid + 1] < lo) a = mid + 1;
            else b = mid;
        }
        return a < ranges.length / 2 && ranges[2 * a] <= hi;
    }

    /** Number of ranges (for size limits). */
    public int rangeCount() {
        return ranges.length / 2;
    }

    /** The i-th range's bounds. */
    public int lo(int i) { return ranges[2 * i]; }

    public int hi(int i) { return ranges[2 * i + 1]; }

    /** Members, smallest first, at most limit of them (tests and random generation). */
    public int size() {
        long n = 0;
        for (int i = 0; i < ranges.length; i += 2) n += ranges[i + 1] - ranges[i] + 1L;
        return (int) Math.min(n, Integer.MAX_VALUE);
    }

    /** The k-th member in order (0-based); k < size(). */
    public int nth(int k) {
        for (int i = 0; i < ranges.length; i += 2) {
            int len = ranges[i + 1] - ranges[i] + 1;
            if (k < len) return ranges[i] + k;
            k -= len;
        }
        throw new IndexOutOfBoundsException(k);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CodePointSet c && Arrays.equals(ranges, c.ranges);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ranges);
    }
}
