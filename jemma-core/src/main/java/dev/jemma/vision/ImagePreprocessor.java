package dev.jemma.vision;

import java.util.ArrayList;
import java.util.List;

/**
 * transformers' Gemma 3 image processor, PIL path: the image (and, with Pan & Scan, its crops after it) resized
 * straight to the encoder's square with Pillow's bilinear filter, rescaled by 1/255 in double then stored as f32,
 * and normalised (x − mean) / std in f32, channel-major.
 */
public final class ImagePreprocessor {
    private static final double RESCALE = 1.0 / 255;

    private final int size;
    private final float[] mean, std;
    private final PanAndScan panAndScan;

    /** @param panAndScan the crop rule, or null for none (the default) */
    public ImagePreprocessor(VisionConfig c, PanAndScan panAndScan) {
        this(c.imageSize(), c.mean(), c.std(), panAndScan);
    }

    public ImagePreprocessor(int size, float[] mean, float[] std, PanAndScan panAndScan) {
        this.size = size;
        this.mean = mean.clone();
        this.std = std.clone();
        this.panAndScan = panAndScan;
    }

    /** The images the encoder sees for this one: the whole image first, then its crops (if any). */
    public List<RgbImage> views(RgbImage image) {
        List<RgbImage> out = new ArrayList<>();
        out.add(image);
        if (panAndScan != null) {
            for (PanAndScan.Box b : panAndScan.boxes(image.width(), image.height())) {
                out.add(image.crop(b.x(), b.y(), b.width(), b.height()));
            }
        }
        return out;
    }

    /** The resized uint8 image (the step Pillow does). */
    public RgbImage resized(RgbImage view) {
        return PillowResize.bilinear(view, size, size);
    }

    /** pixel_values of one view: 3 × size × size floats. */
    public float[] pixels(RgbImage view) {
        RgbImage r = resized(view);
        int plane = size * size;
        float[] out = new float[3 * plane];
        byte[] rgb = r.rgb();
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                float x = (float) ((rgb[i * 3 + c] & 0xFF) * RESCALE);
                out[c * plane + i] = (x - mean[c]) / std[c];
            }
        }
        return out;
    }
}
