package dev.jemma.vision;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

/**
 * Image file bytes → 8-bit RGB, as transformers' Gemma 3 processor prepares an image with Pillow: the first frame,
 * EXIF orientation applied (JPEG), then converted to RGB the transformers 5.x way: an image that is not plain RGB
 * goes through RGBA and is alpha-composited onto white with Pillow's integer arithmetic (so transparent pixels become
 * white; palette and grey images expand). PNG, JPEG, GIF, BMP and TIFF come from ImageIO, lossless WebP from
 * TwelveMonkeys' plug-in, lossy WebP from {@link Vp8Decoder} and {@link YuvToRgb} (libwebp's output, which the
 * plug-in's VP8 decoder is not). The size is read from the header and checked against a pixel budget before anything is decoded, so a
 * decompression bomb costs nothing.
 */
public final class ImageDecoder {
    /** Default pixel budget: 40 million pixels (a 50-megapixel image is refused before it is decoded). */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;

    private ImageDecoder() {}

    public static RgbImage decode(byte[] bytes) {
        return decode(bytes, DEFAULT_MAX_PIXELS);
    }

    public static RgbImage decode(byte[] bytes, long maxPixels) {
        if (bytes == null || bytes.length == 0) throw new ImageInputException("the image is empty");
        // a lossy WebP's colour comes from Jemma's VP8 decoder (libwebp's output bit for bit); its alpha, when it
        // has any, from the plug-in (lossless, so exact)
        WebPLossy.Frame lossy = WebPLossy.find(bytes);
        RgbImage lossyRgb = null;
        if (lossy != null) {
            int[] wh = Vp8Decoder.size(bytes, lossy.offset(), lossy.length());
            checkSize(wh[0], wh[1], maxPixels);
            try {
                lossyRgb = YuvToRgb.convert(Vp8Decoder.decode(bytes, lossy.offset(), lossy.length()));
            } catch (ImageInputException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new ImageInputException("the WebP image is corrupt: " + e, e);
            }
            if (!lossy.alpha()) return lossyRgb;
        }
        BufferedImage img;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageInputException("not an image format Jemma reads (PNG, JPEG, GIF, BMP, WebP or TIFF)");
            }
            ImageReader r = readers.next();
            try {
                r.setInput(in, true, true);
                checkSize(r.getWidth(0), r.getHeight(0), maxPixels);
                img = r.read(0);
            } finally {
                r.dispose();
            }
        } catch (ImageInputException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageInputException("the image is corrupt or truncated: " + e.getMessage(), e);
        }
        if (lossyRgb != null) return withAlpha(lossyRgb, img);
        // transformers composites anything with alpha (or a transparency key) onto white; for opaque pixels that is
        // the identity, so every image goes through it
        RgbImage rgb = toRgb(img);
        return isJpeg(bytes) ? ExifOrientation.apply(rgb, ExifOrientation.ofJpeg(bytes)) : rgb;
    }

    private static void checkSize(int w, int h, long maxPixels) {
        if (w < 1 || h < 1) throw new ImageInputException("the image has no pixels (" + w + "×" + h + ")");
        if ((long) w * h > maxPixels) {
            throw new ImageInputException("the image is " + w + "×" + h + " = " + ((long) w * h)
                    + " pixels, more than the limit of " + maxPixels + "; scale it down first");
        }
    }

    /** The lossy colour composited onto white by the alpha of the plug-in's decoding of the same file. */
    private static RgbImage withAlpha(RgbImage rgb, BufferedImage img) {
        int w = rgb.width(), h = rgb.height();
        if (img.getWidth() != w || img.getHeight() != h || !img.getColorModel().hasAlpha()) {
            throw new ImageInputException("the WebP image's alpha does not match its colour (" + img.getWidth() + "×"
                    + img.getHeight() + " against " + w + "×" + h + ")");
        }
        byte[] out = rgb.rgb().clone();
        Raster alpha = img.getAlphaRaster();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int a = alpha.getSample(x, y, 0), o = (y * w + x) * 3;
                for (int c = 0; c < 3; c++) out[o + c] = (byte) onWhite(out[o + c] & 0xFF, a);
            }
        }
        return new RgbImage(w, h, out);
    }

    static boolean isJpeg(byte[] b) {
        return b.length > 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8;
    }

    private static RgbImage toRgb(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), 3)];
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        boolean grey = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(cm instanceof IndexColorModel);
        boolean wide = !(cm instanceof IndexColorModel) && cm.getComponentSize(0) > 8;
        int[] px = new int[raster.getNumBands()];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r, g, b, a;
                if (grey || wide) {
                    // raw samples: getRGB would pass grey through a linear-to-sRGB conversion
                    raster.getPixel(x, y, px);
                    int bits = cm.getComponentSize(0);
                    if (grey) {
                        r = g = b = scale(px[0], bits);
                        a = px.length > 1 ? scale(px[1], cm.getComponentSize(1)) : 255;
                    } else {
                        r = scale(px[0], bits);
                        g = scale(px[1], bits);
                        b = scale(px[2], bits);
                        a = px.length > 3 ? scale(px[3], cm.getComponentSize(3)) : 255;
                    }
                } else {
                    int argb = img.getRGB(x, y);
                    a = argb >>> 24;
                    r = (argb >> 16) & 0xFF;
                    g = (argb >> 8) & 0xFF;
                    b = argb & 0xFF;
                }
                int o = (y * w + x) * 3;
                out[o] = (byte) onWhite(r, a);
                out[o + 1] = (byte) onWhite(g, a);
                out[o + 2] = (byte) onWhite(b, a);
            }
        }
        return new RgbImage(w, h, out);
    }

    /** A sample of {@code bits} bits as 8 bits, as Pillow opens it (low-depth grey scaled up, 16-bit: the high byte). */
    private static int scale(int v, int bits) {
        if (bits == 8) return v;
        if (bits > 8) return v >> (bits - 8);
        return v * 255 / ((1 << bits) - 1);
    }

    /**
     * Pillow's Image.alpha_composite of one RGBA channel over opaque white (AlphaComposite.c: 7 extra bits of
     * precision, rounded divisions by 255).
     */
    static int onWhite(int c, int a) {
        if (a == 0) return 255;
        int outA255 = a * 255 + 255 * (255 - a);
        long coef1 = (long) a * 255 * 255 * (1 << 7) / outA255;
        long coef2 = 255L * (1 << 7) - coef1;
        long tmp = c * coef1 + 255 * coef2 + (0x80 << 7);
        return (int) ((((tmp >> 8) + tmp) >> 8) >> 7);
    }
}
