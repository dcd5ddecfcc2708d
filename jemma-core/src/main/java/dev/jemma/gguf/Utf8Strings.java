package dev.jemma.gguf;

import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 to String for the metadata reader, without a {@code CharsetDecoder} per string: a GGUF vocabulary
 * holds a quarter of a million strings and they are read at every start. Accepts exactly what the JDK's reporting
 * UTF-8 decoder accepts (no overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequences).
 */
public final class Utf8Strings {
    private Utf8Strings() {
    }

    /** The text of b[0, n), or null when it is not valid UTF-8. */
    static String decode(byte[] b, int n) {
        int i = 0;
        while (i < n && b[i] >= 0) i++;
        if (i == n) return new String(b, 0, n, StandardCharsets.ISO_8859_1); // ASCII: one byte per char, no checks
        return isValid(b, i, n) ? new String(b, 0, n, StandardCharsets.UTF_8) : null;
    }

    /** Strict validation of b[from, n) (as Rust's from_utf8 and the JDK's reporting decoder); also used by the tokenizer. */
    public static boolean isValid(byte[] b, int from, int n) {
        int i = from;
        while (i < n) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                i++;
                continue;
            }
            int need;
            int lo = 0x80, hi = 0xBF; // allowed range of the second byte
            if (c >= 0xC2 && c <= 0xDF) {
                need = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
                need = 2;
                if (c == 0xE0) lo = 0xA0;        // overlong
                else if (c == 0xED) hi = 0x9F;   // surrogates
            } else if (c >= 0xF0 && c <= 0xF4) {
                need = 3;
                if (c == 0xF0) lo = 0x90;        // overlong
                else if (c == 0xF4) hi = 0x8F;   // above U+10FFFF
            } else {
                return false;
            }
            if (i + need >= n) return false;
            int c1 = b[i + 1] & 0xFF;
            if (c1 < lo || c1 > hi) return false;
            for (int k = 2; k <= need; k++) {
                int ck = b[i + k] & 0xFF;
                if (ck < 0x80 || ck > 0xBF) return false;
            }
            i += need + 1;
        }
        return true;
    }
}
