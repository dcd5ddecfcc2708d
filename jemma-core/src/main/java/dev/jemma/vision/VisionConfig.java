package dev.jemma.vision;

import dev.jemma.gguf.GGUFMetadata;
import dev.jemma.gguf.ModelFormatException;

/**
 * The SigLIP vision tower and Gemma 3 projector of a llama.cpp mmproj file ({@code general.architecture = clip},
 * {@code clip.projector_type = gemma3}; docs/VISION.md). Every value is checked against the others so the encoder
 * can trust them: the image divides into patches, the patch grid into the pooling kernel, the width into heads.
 *
 * @param imageSize     the encoder's square input side in pixels (896 for Gemma 3)
 * @param patchSize     pixels per patch side (14)
 * @param hidden        the tower's width (1152)
 * @param ffn           its MLP width (4304)
 * @param blocks        transformer blocks (27)
 * @param heads         attention heads (16)
 * @param eps           LayerNorm epsilon, also the projector's RMSNorm epsilon
 * @param projectionDim the text model's hidden size the projector maps to
 * @param pool          the average-pooling kernel over the patch grid (4: 64×64 patches → 16×16 = 256 tokens)
 * @param mean          per-channel normalisation mean
 * @param std           per-channel normalisation standard deviation
 */
public record VisionConfig(int imageSize, int patchSize, int hidden, int ffn, int blocks, int heads, float eps,
                           int projectionDim, int pool, float[] mean, float[] std) {
    /** More is surely a corrupt file: the largest Gemma 3 tower is 896 px, 14 px patches, 27 blocks. */
    static final int MAX_IMAGE = 4096, MAX_WIDTH = 16384, MAX_BLOCKS = 256;

    public static VisionConfig fromGGUF(GGUFMetadata md) {
        String arch = md.string("general.architecture", "");
        if (!arch.equals("clip")) {
            throw new ModelFormatException("not an mmproj file: general.architecture is '" + arch + "', expected 'clip'");
        }
        String projector = md.string("clip.projector_type", "");
        if (!projector.equals("gemma3")) {
            throw new ModelFormatException("clip.projector_type is '" + projector + "'; Jemma runs Gemma 3's ('gemma3')");
        }
        if (!md.bool("clip.has_vision_encoder", true)) throw new ModelFormatException("the mmproj file has no vision encoder");
        int image = intKey(md, "clip.vision.image_size", MAX_IMAGE);
        int patch = intKey(md, "clip.vision.patch_size", MAX_IMAGE);
        int hidden = intKey(md, "clip.vision.embedding_length", MAX_WIDTH);
        int ffn = intKey(md, "clip.vision.feed_forward_length", 4 * MAX_WIDTH);
        int blocks = intKey(md, "clip.vision.block_count", MAX_BLOCKS);
        int heads = intKey(md, "clip.vision.attention.head_count", MAX_WIDTH);
        int proj = intKey(md, "clip.vision.projection_dim", 4 * MAX_WIDTH);
        double eps = md.real("clip.vision.attention.layer_norm_epsilon", 1e-6);
        // llama.cpp writes the pooling size only when it is not 4
        int pool = md.contains("clip.vision.projector.scale_factor") ? intKey(md, "clip.vision.projector.scale_factor", MAX_IMAGE) : 4;
        float[] mean = md.contains("clip.vision.image_mean") ? md.floatArray("clip.vision.image_mean") : new float[]{0.5f, 0.5f, 0.5f};
        float[] std = md.contains("clip.vision.image_std") ? md.floatArray("clip.vision.image_std") : new float[]{0.5f, 0.5f, 0.5f};
        if (image % patch != 0) throw bad("clip.vision.image_size " + image + " is not a multiple of the patch size " + patch);
        int side = image / patch;
        if (side % pool != 0) throw bad("the " + side + "×" + side + " patch grid does not divide into pooling blocks of " + pool);
        if (hidden % heads != 0) throw bad("clip.vision.embedding_length " + hidden + " does not divide into " + heads + " heads");
        if (!(eps > 0 && eps < 1)) throw bad("clip.vision.attention.layer_norm_epsilon " + eps + " is not in (0, 1)");
        if (mean.length != 3 || std.length != 3) throw bad("clip.vision.image_mean and image_std need 3 values (RGB)");
        for (int c = 0; c < 3; c++) {
            if (!Float.isFinite(mean[c]) || !(std[c] > 0) || !Float.isFinite(std[c])) {
                throw bad("clip.vision.image_mean/std: channel " + c + " has mean " + mean[c] + ", std " + std[c]);
            }
        }
        return new VisionConfig(image, patch, hidden, ffn, blocks, heads, (float) eps, proj, pool, mean, std);
    }

    private static int intKey(GGUFMetadata md, String key, int max) {
        if (!md.contains(key)) throw bad("the mmproj file lacks " + key);
        long v = md.integer(key);
        if (v < 1 || v > max) throw bad(key + " = " + v + " is out of range [1, " + max + "]");
        return (int) v;
    }

    private static ModelFormatException bad(String m) {
        return new ModelFormatException(m);
    }

    /** Patches per image side. */
    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    public int patches() {
        return patchesPerSide() * patchesPerSide();
    }

    /** Soft tokens per image (mm_tokens_per_image): the pooled grid. */
    public int tokensPerImage() {
        int s = patchesPerSide() / pool;
        return s * s;
    }

    public int headDim() {
        return hidden / heads;
    }
}
