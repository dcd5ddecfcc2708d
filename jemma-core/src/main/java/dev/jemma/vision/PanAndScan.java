package dev.jemma.vision;

import java.util.ArrayList;
import java.util.List;

/**
 * transformers' Pan & Scan for Gemma 3: a wide or tall image is also cut into 2–4 crops along its long side, so
 * details survive the resize to the encoder's square. Off by default (as in transformers).
 *
 * @param minCropSize         a crop's shorter side must be at least this (256)
 * @param maxCrops            at most this many crops (4)
 * @param minRatio            no crops unless the long side is at least this many times the short one (1.2)
 */
public record PanAndScan(int minCropSize, int maxCrops, double minRatio) {
    public static final PanAndScan GEMMA3 = new PanAndScan(256, 4, 1.2);

    /** One crop: [x, x + width) × [y, y + height) of the original. */
    public record Box(int x, int y, int width, int height) {}

    /** The crops (none when the image is close enough to square or too small), in transformers' order. */
    public List<Box> boxes(int width, int height) {
        boolean landscape = width >= height;
        int longSide = landscape ? width : height, shortSide = landscape ? height : width;
        if ((double) longSide / shortSide < minRatio) return List.of();
        int n = (int) Math.floor((double) longSide / shortSide + 0.5);
        n = Math.min((int) Math.floor((double) longSide / minCropSize), n);
        n = Math.max(2, n);
        n = Math.min(maxCrops, n);
        int cropLong = (int) Math.ceil((double) longSide / n);
        if (Math.min(cropLong, shortSide) < minCropSize) return List.of();
        List<Box> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int start = i * cropLong, len = Math.min(cropLong, longSide - start);
            out.add(landscape ? new Box(start, 0, len, height) : new Box(0, start, width, len));
        }
        return out;
    }
}
