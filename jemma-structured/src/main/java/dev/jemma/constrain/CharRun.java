package dev.jemma.constrain;

/**
 * One byte of a character run: UTF-8 decoding with a liveness check after every byte (a prefix is accepted
 * only if some character of the set can still complete it, so overlong forms, surrogates and characters outside
 * the set die at their first wrong byte), and, in JSON mode, string escapes. The state between bytes is one int:
 * 0 at a character boundary, else a kind tag with the partial value.
 */
final class CharRun {
    private CharRun() {}

    private static final int UTF8 = 1, ESC = 2, HEX = 3;
    /** result: a character was completed, state back at the boundary */
    static final long COMPLETED = 1L << 32;

    private static int pack(int kind, int a, int b, int value) {
        return kind << 28 | a << 26 | b << 24 | value;
    }

    /** The next state, with {@link #COMPLETED} set when a character ended, or -1 when the byte is not allowed. */
    static long step(CodePointSet s, boolean json, int aux, int b) {
        int kind = aux >>> 28;
        if (kind == 0) {
            if (b < 0x80) {
                if (json) {
                    if (b == '\\') return s.intersects(0, 0xFFFF) ? pack(ESC, 0, 0, 0) : -1;
                    if (b < 0x20 || b == '"') return -1;
                }
                return s.contains(b) ? COMPLETED : -1;
            }
            int len, cp;
            if (b >= 0xC2 && b <= 0xDF) { len = 2; cp = b & 0x1F; }
            else if (b >= 0xE0 && b <= 0xEF) { len = 3; cp = b & 0x0F; }
            else if (b >= 0xF0 && b <= 0xF4) { len = 4; cp = b & 0x07; }
            else return -1;
            return live(s, cp, len - 1, len) ? pack(UTF8, len - 1, len - 1, cp) : -1;
        }
        if (kind == UTF8) {
            if ((b & 0xC0) != 0x80) return -1;
            int len = ((aux >>> 26) & 3) + 1, rem = ((aux >>> 24) & 3) - 1;
            int cp = ((aux & 0x1FFFFF) << 6) | (b & 0x3F);
            if (!live(s, cp, rem, len)) return -1;
            return rem == 0 ? COMPLETED : pack(UTF8, len - 1, rem, cp);
        }
        if (kind == ESC) {
            int cp = switch (b) {
                case '"' -> '"';
                case '\\' -> '\\';
                case '/' -> '/';
                case 'b' -> 8;
                case 'f' -> 12;
                case 'n' -> 10;
                case 'r' -> 13;
                case 't' -> 9;
                case 'u' -> -2;
                default -> -1;
            };
            if (cp == -2) return pack(HEX, 0, 0, 0);
            return cp >= 0 && s.contains(cp) ? COMPLETED : -1;
        }
        int d = Character.digit(b, 16);
        if (d < 0 || b > 'f') return -1;
        int digits = ((aux >>> 24) & 3) + 1;
        int v = ((aux & 0xFFFF) << 4) | d;
        if (digits == 4) return s.contains(v) ? COMPLETED : -1; // the set holds no surrogates
        int shift = 4 * (4 - digits);
        if (!s.intersects(v << shift, (v << shift) | ((1 << shift) - 1))) return -1;
        return pack(HEX, 0, digits, v);
    }

    /** Can a character of the set start with these bytes (cp so far, rem continuation bytes to come)? */
    private static boolean live(CodePointSet s, int cp, int rem, int len) {
        int lo = cp << (6 * rem), hi = lo | ((1 << (6 * rem)) - 1);
        int minCp = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        int maxCp = len == 2 ? 0x7FF : len == 3 ? 0xFFFF : 0x10FFFF;
        return s.intersects(Math.max(lo, minCp), Math.min(hi, maxCp));
    }
}
