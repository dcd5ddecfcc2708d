package dev.jemma.vision;

/**
 * The EXIF orientation tag of a JPEG (APP1 "Exif", IFD0 tag 0x0112) and Pillow's ImageOps.exif_transpose for each of
 * its eight values. A missing, malformed or truncated EXIF block means orientation 1 (as stored): it never fails
 * the image.
 */
final class ExifOrientation {
    private ExifOrientation() {}

    static int ofJpeg(byte[] b) {
        int p = 2;
        while (p + 4 <= b.length && (b[p] & 0xFF) == 0xFF) {
            int marker = b[p + 1] & 0xFF;
            if (marker == 0xD9 || marker == 0xDA) break; // end of image, start of scan: no EXIF before the data
            int len = ((b[p + 2] & 0xFF) << 8) | (b[p + 3] & 0xFF);
            if (len < 2 || p + 2 + len > b.length) break;
            if (marker == 0xE1 && len >= 16 && b[p + 4] == 'E' && b[p + 5] == 'x' && b[p + 6] == 'i' && b[p + 7] == 'f'
                    && b[p + 8] == 0 && b[p + 9] == 0) {
                return fromTiff(b, p + 10, p + 2 + len);
            }
            p += 2 + len;
        }
        return 1;
    }

    private static int fromTiff(byte[] b, int t, int end) {
        if (t + 8 > end) return 1;
        boolean le = b[t] == 'I' && b[t + 1] == 'I';
        if (!le && !(b[t] == 'M' && b[t + 1] == 'M')) return 1;
        long ifd = u32(b, t + 4, le);
        if (ifd < 8 || t + ifd + 2 > end) return 1;
        int at = (int) (t + ifd), n = u16(b, at, le);
        for (int i = 0; i < n; i++) {
            int e = at + 2 + 12 * i;
            if (e + 12 > end) return 1;
            if (u16(b, e, le) == 0x0112 && u16(b, e + 2, le) == 3) {
                int v = u16(b, e + 8, le);
                return v >= 1 && v <= 8 ? v : 1;
            }
        }
        return 1;
    }

    private static int u16(byte[] b, int i, boolean le) {
        return le ? (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 : (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
    }

    private static long u32(byte[] b, int i, boolean le) {
        long lo = u16(b, le ? i : i + 2, le), hi = u16(b, le ? i + 2 : i, le);
        return hi << 16 | lo;
    }

    /** The image as it should be viewed. */
    static RgbImage apply(RgbImage in, int orientation) {
        if (orientation <= 1 || orientation > 8) return in;
        int w = in.width(), h = in.height();
        boolean swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        byte[] out = new byte[in.rgb().length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx, sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }          // mirror
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }  // 180°
                    case 4 -> { sx = x; sy = h - 1 - y; }          // flip
                    case 5 -> { sx = y; sy = x; }                  // transpose
                    case 6 -> { sx = y; sy = h - 1 - x; }          // 90° clockwise
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }  // transverse
                    default -> { sx = w - 1 - y; sy = x; }         // 8: 90° counter-clockwise
                }
                System.arraycopy(in.rgb(), (sy * w + sx) * 3, out, (y * ow + x) * 3, 3);
            }
        }
        return new RgbImage(ow, oh, out);
    }
}
