package dev.jemma.vision;

/** An 8-bit RGB image, rows top to bottom, pixels interleaved (r, g, b). */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (width < 1 || height < 1) throw new IllegalArgumentException("image size " + width + "×" + height);
        if (rgb.length != Math.multiplyExact(Math.multiplyExact(width, height), 3)) {
            throw new IllegalArgumentException("rgb holds " + rgb.length + " bytes for " + width + "×" + height);
        }
    }

    public int get(int x, int y, int channel) {
        return rgb[(y * width + x) * 3 + channel] & 0xFF;
    }

    /** The box [x0, x0 + w) × [y0, y0 + h), copied. */
    public RgbImage crop(int x0, int y0, int w, int h) {
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) System.arraycopy(rgb, ((y0 + y) * width + x0) * 3, out, y * w * 3, w * 3);
        return new RgbImage(w, h, out);
    }
}
