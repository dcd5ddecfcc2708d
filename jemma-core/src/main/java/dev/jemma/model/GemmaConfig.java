package dev.jemma.model;

import dev.jemma.gguf.GGUFMetadata;
import dev.jemma.gguf.ModelFormatException;

/**
 * Hyper-parameters of a Gemma 3 text model, read from GGUF metadata and checked for consistency.
 * Facts (local/global pattern, RoPE bases, the 27B attention scale) and their public sources are in
 * docs/GEMMA3.md, sections "Decoder layer", "Local and global layers", "RoPE", "Configurations" and "GGUF".
 */
public record GemmaConfig(
        int hidden,
        int ffn,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int contextLength,
        /** keys a local layer sees, itself included; 0 = no sliding window (all layers global) */
        int slidingWindow,
        float ropeBaseGlobal,
        float ropeBaseLocal,
        /** linear RoPE scaling factor on global layers (1 = none) */
        float ropeScaleGlobal,
        float rmsEps,
        float attentionScale,
        float embeddingScale,
        /** final logit soft-cap, 0 = none (Gemma 3 has none) */
        float finalLogitSoftcap) {

    static final int MAX_LAYERS = 512;
    static final int MAX_CONTEXT = 1 << 24;
    static final int MAX_DIM = 1 << 20;
    static final String ARCH = "gemma3";

    /** Local (sliding-window) layers: 5 of every 6, starting with local; layer i is global iff (i+1) % 6 == 0. */
    public boolean isGlobal(int layer) {
        return slidingWindow == 0 || (layer + 1) % 6 == 0;
    }

    /**
     * RoPE's inverse frequencies for a layer type, as the references compute them: base^(−2i/d) in f32, divided
     * by the linear scaling factor on global layers.
     */
    public float[] ropeInverseFrequencies(boolean global) {
        int half = headDim / 2;
        float[] f = new float[half];
        for (int i = 0; i < half; i++) {
            float e = (float) (2 * i) / headDim;
            f[i] = global ? (float) (1.0 / Math.pow(ropeBaseGlobal, e)) / ropeScaleGlobal : (float) (1.0 / Math.pow(ropeBaseLocal, e));
        }
        return f;
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    public static GemmaConfig fromGGUF(GGUFMetadata md) {
        String arch = md.string("general.architecture", null);
        if (arch == null) throw new ModelFormatException("missing metadata key 'general.architecture'");
        if (!ARCH.equals(arch)) {
            throw new ModelFormatException("general.architecture is '" + arch + "'; Jemma runs Gemma 3 ('gemma3') models");
        }
        int hidden = positive(md, "gemma3.embedding_length", MAX_DIM);
        int ffn = positive(md, "gemma3.feed_forward_length", MAX_DIM);
        int layers = positive(md, "gemma3.block_count", MAX_LAYERS);
        int heads = positive(md, "gemma3.attention.head_count", 4096);
        int kvHeads = positive(md, "gemma3.attention.head_count_kv", 4096);
        if (heads % kvHeads != 0) {
            throw new ModelFormatException("gemma3.attention.head_count_kv = " + kvHeads
                    + " does not divide gemma3.attention.head_count = " + heads);
        }
        if (hidden % heads != 0) {
            throw new ModelFormatException("gemma3.embedding_length = " + hidden
                    + " is not divisible by gemma3.attention.head_count = " + heads);
        }
        int headDim = md.contains("gemma3.attention.key_length")
                ? positive(md, "gemma3.attention.key_length", 4096) : hidden / heads;
        if (md.contains("gemma3.attention.value_length")) {
            int v = positive(md, "gemma3.attention.value_length", 4096);
            if (v != headDim) {
                throw new ModelFormatException("gemma3.attention.value_length = " + v
                        + " differs from gemma3.attention.key_length = " + headDim);
            }
        }
        if (headDim % 2 != 0) throw new ModelFormatException("gemma3.attention.key_length = " + headDim + " must be even for RoPE");
        int ctx = positive(md, "gemma3.context_length", MAX_CONTEXT);
        int window = 0;
        if (md.contains("gemma3.attention.sliding_window")) {
            long w = md.integer("gemma3.attention.sliding_window");
            if (w <= 0 || w > ctx) {
                throw new ModelFormatException("gemma3.attention.sliding_window = " + w
                        + " must be between 1 and the context length " + ctx);
            }
            window = (int) w;
        }
        float eps = finitePositive(md, "gemma3.attention.layer_norm_rms_epsilon", 1e-6);
        float baseGlobal = finitePositive(md, md.contains("gemma3.rope.global.freq_base")
                ? "gemma3.rope.global.freq_base" : "gemma3.rope.freq_base", 1_000_000);
        // llama.cpp's converter writes the local base as rope.freq_base_swa; older files used rope.local.freq_base
        float baseLocal = finitePositive(md, md.contains("gemma3.rope.freq_base_swa")
                ? "gemma3.rope.freq_base_swa" : "gemma3.rope.local.freq_base", 10_000);
        float scale = 1f;
        String scalingType = md.string("gemma3.rope.scaling.type", "none");
        if (md.contains("gemma3.rope.scaling.factor")) {
            float f = finitePositive(md, "gemma3.rope.scaling.factor", 1);
            if (scalingType.equals("linear") || !md.contains("gemma3.rope.scaling.type")) scale = f;
            else if (!scalingType.equals("none")) {
                throw new ModelFormatException("gemma3.rope.scaling.type = '" + scalingType + "' is not supported (linear or none)");
            }
        } else if (!scalingType.equals("none") && !scalingType.equals("linear")) {
            throw new ModelFormatException("gemma3.rope.scaling.type = '" + scalingType + "' is not supported (linear or none)");
        }
        float softcap = 0;
        if (md.contains("gemma3.final_logit_softcapping")) {
            double c = md.real("gemma3.final_logit_softcapping");
            if (!Double.isFinite(c) || c < 0) {
                throw new ModelFormatException("gemma3.final_logit_softcapping = " + c + " must be a finite number ≥ 0");
            }
            softcap = (float) c;
        }
        // The 27B model scales queries by 1/sqrt(hidden/heads) = 1/sqrt(168) instead of 1/sqrt(head_dim);
        // GGUF has no key for it, so (like llama.cpp) it is recognised by its 62 layers.
        float queryPreAttnScalar = layers == 62 ? (float) hidden / heads : headDim;
        if (md.contains("gemma3.attention.query_pre_attn_scalar")) {
            queryPreAttnScalar = finitePositive(md, "gemma3.attention.query_pre_attn_scalar", headDim);
        }
        float attnScale = (float) (1.0 / Math.sqrt(queryPreAttnScalar));
        float embScale = (float) Math.sqrt(hidden);
        return new GemmaConfig(hidden, ffn, layers, heads, kvHeads, headDim, ctx, window,
                baseGlobal, baseLocal, scale, eps, attnScale, embScale, softcap);
    }

    private static int positive(GGUFMetadata md, String key, int max) {
        if (!md.contains(key)) throw new ModelFormatException("missing metadata key '" + key + "'");
        long v = md.integer(key);
        if (v <= 0 || v > max) {
            throw new ModelFormatException("metadata key '" + key + "' = " + v + " is out of range (1.." + max + ")");
        }
        return (int) v;
    }

    private static float finitePositive(GGUFMetadata md, String key, double absent) {
        double v = md.real(key, absent);
        if (!Double.isFinite(v) || v <= 0 || (float) v <= 0 || !Float.isFinite((float) v)) {
            throw new ModelFormatException("metadata key '" + key + "' = " + v + " must be a finite number > 0");
        }
        return (float) v;
    }

    /** The one check of a requested context length: within [1, the trained maximum]. Returns it. */
    public int checkContextLength(int requested) {
        if (requested < 1 || requested > contextLength()) throw new ContextLengthException(requested, contextLength());
        return requested;
    }
}
