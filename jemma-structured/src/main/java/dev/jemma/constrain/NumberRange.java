package dev.jemma.constrain;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The number terminal: {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?} (no exponent; no fraction when {@code integer}),
 * at most {@code maxLength} characters, within optional bounds. A prefix is live only when some completion of
 * it within the length limit lies in range, so generation can never paint itself into a corner. Decided with
 * exact decimal arithmetic; bounds are never expanded into digit grammars.
 */
public final class NumberRange {
    public final boolean integer;
    /** null = unbounded */
    public final BigDecimal lo, hi;
    public final boolean loExclusive, hiExclusive;
    public final int maxLength;

    public NumberRange(boolean integer, BigDecimal lo, boolean loExclusive, BigDecimal hi, boolean hiExclusive, int maxLength) {
        this.integer = integer;
        this.lo = lo;
        this.hi = hi;
        this.loExclusive = loExclusive;
        this.hiExclusive = hiExclusive;
        this.maxLength = maxLength;
    }

    /** The prefix extended by one byte, or null when that is not a live prefix. */
    String step(String p, int b) {
        if (p.length() >= maxLength) return null;
        char c = (char) b;
        boolean ok;
        int dot = p.indexOf('.');
        int intStart = p.startsWith("-") ? 1 : 0;
        int intLen = (dot < 0 ? p.length() : dot) - intStart;
        if (c == '-') ok = p.isEmpty();
        else if (c == '.') ok = !integer && dot < 0 && intLen > 0;
        else if (c >= '0' && c <= '9') ok = dot >= 0 || !(intLen == 1 && p.charAt(intStart) == '0');
        else ok = false;
        if (!ok) return null;
        String q = p + c;
        return live(q) ? q : null;
    }

    /** A whole number in range. */
    boolean complete(String p) {
        int intStart = p.startsWith("-") ? 1 : 0;
        if (p.length() == intStart || p.endsWith(".")) return false;
        return inRange(new BigDecimal(p));
    }

    boolean inRange(BigDecimal v) {
        if (lo != null) {
            int c = v.compareTo(lo);
            if (c < 0 || (c == 0 && loExclusive)) return false;
        }
        if (hi != null) {
            int c = v.compareTo(hi);
            if (c > 0 || (c == 0 && hiExclusive)) return false;
        }
        return true;
    }

    /** Some completion of p (a syntactically valid prefix) within maxLength is in range. */
    boolean live(String p) {
        int r = maxLength - p.length();
        boolean neg = p.startsWith("-");
        String body = neg ? p.substring(1) : p;
        int dot = body.indexOf('.');
        String ip = dot < 0 ? body : body.substring(0, dot);
        if (ip.isEmpty()) {
            if (r < 1) return false;
            for (char d = '0'; d <= '9'; d++) if (live(p + d)) return true;
            return p.isEmpty() && live("-");
        }
        if (dot >= 0) {
            String frac = body.substring(dot + 1);
            BigDecimal base = new BigDecimal(ip + (frac.isEmpty() ? "" : "." + frac));
            if (r == 0) return !frac.isEmpty() && inRange(neg ? base.negate() : base);
            int scale = frac.length() + r;
            return exists(neg, base, BigDecimal.ONE.movePointLeft(scale), BigDecimal.TEN.pow(r));
        }
        BigDecimal i = new BigDecimal(ip);
        if (ip.equals("0")) {
            if (inRange(BigDecimal.ZERO)) return true;
            return !integer && r >= 2 && exists(neg, BigDecimal.ZERO, BigDecimal.ONE.movePointLeft(r - 1), BigDecimal.TEN.pow(r - 1));
        }
        for (int k = 0; k <= r; k++) {
            BigDecimal base = i.movePointRight(k);
            if (!integer && k + 2 <= r) {
                int f = r - k - 1;
                if (exists(neg, base, BigDecimal.ONE.movePointLeft(f), BigDecimal.TEN.pow(k + f))) return true;
            } else if (exists(neg, base, BigDecimal.ONE, BigDecimal.TEN.pow(k))) {
                return true;
            }
        }
        return false;
    }

    /** Is some ±(base + m·unit), 0 ≤ m < count, in range? */
    private boolean exists(boolean neg, BigDecimal base, BigDecimal unit, BigDecimal count) {
        // for negative numbers mirror the bounds: -(x) in [lo, hi]  ⇔  x in [-hi, -lo]
        BigDecimal l = neg ? (hi == null ? null : hi.negate()) : lo;
        BigDecimal h = neg ? (lo == null ? null : lo.negate()) : hi;
        boolean lx = neg ? hiExclusive : loExclusive, hx = neg ? loExclusive : hiExclusive;
        BigDecimal mMin = BigDecimal.ZERO, mMax = count.subtract(BigDecimal.ONE);
        if (l != null) {
            BigDecimal q = l.subtract(base).divide(unit);
            BigDecimal c = q.setScale(0, RoundingMode.CEILING);
            if (lx && c.compareTo(q) == 0) c = c.add(BigDecimal.ONE);
            if (c.compareTo(mMin) > 0) mMin = c;
        }
        if (h != null) {
            BigDecimal q = h.subtract(base).divide(unit);
            BigDecimal f = q.setScale(0, RoundingMode.FLOOR);
            if (hx && f.compareTo(q) == 0) f = f.subtract(BigDecimal.ONE);
            if (f.compareTo(mMax) < 0) mMax = f;
        }
        return mMin.compareTo(mMax) <= 0;
    }

    /** Cache-key text. */
    @Override
    public String toString() {
        return (integer ? "int" : "num") + (loExclusive ? "(" : "[") + lo + "," + hi + (hiExclusive ? ")" : "]") + maxLength;
    }
}
