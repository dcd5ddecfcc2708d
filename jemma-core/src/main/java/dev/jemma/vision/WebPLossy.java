package dev.jemma.vision;

/**
 * Finds the lossy image of a still WebP file (RIFF container, Google's WebP container specification): a plain
 * {@code VP8 } chunk, or an extended file ({@code VP8X}) whose image is a {@code VP8 } chunk, perhaps after an
 * {@code ALPH} chunk. Lossless ({@code VP8L}) and animated files are left to the ImageIO plug-in, whose lossless
 * decoding is exact by nature.
 */
final class WebPLossy {
    /** Where the VP8 data lies, and whether an alpha chunk comes with it. */
    record Frame(int offset, int length, boolean alpha) {}

    private WebPLossy() {}

    static boolean isWebP(byte[] b) {
        return b.length >= 12 && tag(b, 0, "RIFF") && tag(b, 8, "WEBP");
    }

    /** The lossy frame of a still WebP, or null when the file is not one (lossless, animated, not WebP). */
    static Frame find(byte[] b) {
        if (!isWebP(b)) return null;
        long riffEnd = Math.min(b.length, 8 + u32(b, 4));
        boolean alpha = false;
        int pos = 12;
        boolean first = true;
        while (pos + 8 <= riffEnd) {
            long size = u32(b, pos + 4);
            int data = pos + 8;
            if (size > riffEnd - data) throw new ImageInputException("the WebP image is truncated (a chunk runs past the end)");
            if (tag(b, pos, "VP8 ")) return new Frame(data, (int) size, alpha);
            if (tag(b, pos, "VP8L") || tag(b, pos, "ANIM") || tag(b, pos, "ANMF")) return null;
            if (first && !tag(b, pos, "VP8X")) return null; // not a layout this reader knows: the plug-in decides
            if (tag(b, pos, "VP8X") && size >= 1 && (b[data] & 0x02) != 0) return null; // animation flag
            if (tag(b, pos, "ALPH")) alpha = true;
            first = false;
            pos = data + (int) size + (int) (size & 1);
        }
        return null;
    }

    private static boolean tag(byte[] b, int at, String t) {
        for (int i = 0; i < 4; i++) if (b[at + i] != t.charAt(i)) return false;
        return true;
    }

    private static long u32(byte[] b, int at) {
        return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
    }
}
