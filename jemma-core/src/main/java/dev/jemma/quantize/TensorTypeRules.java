package dev.jemma.quantize;

import dev.jemma.tensor.GGMLType;

import java.util.List;

/**
 * Which type each tensor gets, by llama.cpp's rules for the mixes Jemma writes (llama.cpp
 * {@code src/llama-quant.cpp}: {@code tensor_allows_quantization}, {@code llama_tensor_get_type_impl},
 * {@code tensor_type_fallback}; docs/QUANTIZE.md lists them). The rules count tensors as they go (the i-th
 * attn_v, the i-th ffn_down), so {@link #choose} must be called once per tensor in llama.cpp's order
 * ({@link TensorOrder}). Branches for other architectures (Falcon, 70B, mixtures of experts) and for the IQ mixes
 * are left out: a Gemma 3 file never takes them.
 */
public final class TensorTypeRules {
    enum Category { OUTPUT, TOKEN_EMBD, ATTENTION_QKV, ATTENTION_KV_B, ATTENTION_V, ATTENTION_K, ATTENTION_Q, ATTENTION_OUTPUT, FFN_UP, FFN_GATE, FFN_DOWN, OTHER }

    private final QuantizationMix mix;
    private final GGMLType outputType;
    private final GGMLType tokenEmbeddingType;
    private final boolean pure;
    private final boolean hasImportance;
    private final int gqa;
    private final int nAttentionV;
    private final int nLayers;
    private final boolean tiedEmbeddings;
    private int iAttentionV;
    private int iFfnDown;
    private int fallbacks;

    /**
     * @param names every tensor name of the file (the counts and whether the embedding is tied come from them)
     * @param heads attention heads, {@code kvHeads} key/value heads (their ratio picks Q2_K's attn_v type)
     * @param layers the block count
     */
    public TensorTypeRules(QuantizationMix mix, GGMLType outputType, GGMLType tokenEmbeddingType, boolean pure,
                           boolean hasImportance, List<String> names, int heads, int kvHeads, int layers) {
        this.mix = mix;
        this.outputType = outputType;
        this.tokenEmbeddingType = tokenEmbeddingType;
        this.pure = pure;
        this.hasImportance = hasImportance;
        this.gqa = kvHeads > 0 ? heads / kvHeads : 1;
        int nv = 0;
        boolean tied = true;
        for (String n : names) {
            Category c = category(n);
            if (isAttentionV(c)) nv++;
            if (c == Category.OUTPUT) tied = false;
        }
        this.nAttentionV = nv;
        this.tiedEmbeddings = tied;
        this.nLayers = layers;
    }

    /** How many tensors got a fallback type because their rows do not divide into the chosen type's blocks. */
    public int fallbacks() {
        return fallbacks;
    }

    /** Whether llama.cpp quantizes this tensor at all (2-D weights other than norms and a few named exceptions). */
    public static boolean allowsQuantization(String name, long[] shape) {
        if (dims(shape) < 2) return false;
        if (!name.endsWith("weight")) return false;
        if (name.contains("_norm.weight")) return false;
        for (String s : NOT_QUANTIZED) if (name.contains(s)) return false;
        return !name.equals("position_embd.weight") && !name.equals("token_types.weight");
    }

    private static final String[] NOT_QUANTIZED = {
            "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d",
            "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight", "time_mix_first.weight",
            "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight",
            "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight",
            "time_mix_g2.weight", "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
            "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd",
            ".patch_merger", "a.rvq.codebook", "mm.a.code_embd"};

    /** ggml's dimension count: trailing dimensions of 1 do not count. */
    static int dims(long[] shape) {
        for (int i = shape.length - 1; i >= 1; i--) if (shape[i] > 1) return i + 1;
        return 1;
    }

    /** Whether this tensor must have importance data (llama.cpp refuses Q2_K tensors of a Q2_K_S file without it). */
    public boolean requiresImportance(String name, GGMLType target) {
        if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight") || name.equals("output.weight")) return false;
        return target == GGMLType.Q2_K && mix == QuantizationMix.Q2_K_S;
    }

    /** The type this tensor is written in; call once per tensor, in {@link TensorOrder}. */
    public GGMLType choose(String name, long[] shape, GGMLType current) {
        if (!allowsQuantization(name, shape)) return current;
        Category category = category(name);
        if (tokenEmbeddingType != null && category == Category.TOKEN_EMBD) return tokenEmbeddingType;
        if (outputType != null && category == Category.OUTPUT) return outputType;
        GGMLType type = mix.defaultType;
        if (!mix.quantized()) return type;
        if (!pure) type = mixRule(type, shape, category);
        return fallback(type, shape[0]);
    }

    private GGMLType mixRule(GGMLType type, long[] shape, Category category) {
        QuantizationMix m = mix;
        if (category == Category.OUTPUT || (tiedEmbeddings && category == Category.TOKEN_EMBD)) {
            // the output projection (or the embedding that doubles as it) keeps 6+ bits
            if (outputType != null) return outputType;
            if (shape[0] % type.blockSize != 0) return GGMLType.Q8_0;
            return type != GGMLType.Q8_0 ? GGMLType.Q6_K : type;
        }
        if (category == Category.TOKEN_EMBD) {
            return tokenEmbeddingType != null ? tokenEmbeddingType : type;
        }
        if (isAttentionV(category)) {
            if (m == QuantizationMix.Q2_K) type = gqa >= 4 ? GGMLType.Q4_K : GGMLType.Q3_K;
            else if (m == QuantizationMix.Q2_K_S && gqa >= 4) type = GGMLType.Q4_K;
            else if (m == QuantizationMix.Q3_K_M) type = iAttentionV < 2 ? GGMLType.Q5_K : GGMLType.Q4_K;
            else if (m == QuantizationMix.Q3_K_L) type = GGMLType.Q5_K;
            else if ((m == QuantizationMix.Q4_K_M || m == QuantizationMix.Q5_K_M) && useMoreBits(iAttentionV, nAttentionV)) type = GGMLType.Q6_K;
            else if (m == QuantizationMix.Q4_K_S && iAttentionV < 4) type = GGMLType.Q5_K;
            iAttentionV++;
            return type;
        }
        if (category == Category.FFN_DOWN) {
            int i = iFfnDown, n = nLayers;
            if (m == QuantizationMix.Q2_K) type = GGMLType.Q3_K;
            else if (m == QuantizationMix.Q2_K_S) {
                if (i < n / 8) type = GGMLType.Q4_K;
            } else if (m == QuantizationMix.Q3_K_M) type = i < n / 16 ? GGMLType.Q5_K : GGMLType.Q4_K;
            else if (m == QuantizationMix.Q3_K_L) type = GGMLType.Q5_K;
            else if (m == QuantizationMix.Q4_K_M) {
                if (useMoreBits(i, n)) type = GGMLType.Q6_K;
            } else if (m == QuantizationMix.Q5_K_M && useMoreBits(i, n)) type = GGMLType.Q6_K;
            else if (m == QuantizationMix.Q4_K_S && i < n / 8) type = GGMLType.Q5_K;
            else if ((m == QuantizationMix.Q4_0 || m == QuantizationMix.Q5_0) && hasImportance && i < n / 8) {
                // llama.cpp guards the first ffn_down layers only when an imatrix is given, so that the plain
                // mix stays what it always was
                type = m == QuantizationMix.Q4_0 ? GGMLType.Q4_1 : GGMLType.Q5_1;
            }
            iFfnDown++;
            return type;
        }
        if (category == Category.ATTENTION_OUTPUT) {
            if (m == QuantizationMix.Q2_K) return GGMLType.Q3_K;
            if (m == QuantizationMix.Q3_K_M) return GGMLType.Q4_K;
            if (m == QuantizationMix.Q3_K_L) return GGMLType.Q5_K;
        }
        return type;
    }

    /** The first and last eighth of the layers, and every third one between, get more bits. */
    private static boolean useMoreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    /** A row that does not divide into the type's blocks takes the nearest 32-block type, or F16. */
    private GGMLType fallback(GGMLType type, long cols) {
        if (cols % type.blockSize == 0) return type;
        fallbacks++;
        GGMLType r = fallbackOf(type);
        return cols % r.blockSize == 0 ? r : GGMLType.F16;
    }

    /** The type llama.cpp takes for rows that do not divide into {@code type}'s blocks of 256. */
    static GGMLType fallbackOf(GGMLType type) {
        return switch (type) {
            case Q2_K, Q3_K -> GGMLType.Q4_0;
            case Q4_K -> GGMLType.Q5_0;
            case Q5_K -> GGMLType.Q5_1;
            case Q6_K -> GGMLType.Q8_0;
            default -> {
                if (type.blockSize <= 32) yield type;
                throw new IllegalArgumentException("no fallback type for " + type);
            }
        };
    }

    /**
     * The types most of a mix's tensors get: its own and that type's fallback. A guess made before the file is read,
     * for {@link ModelQuantizer#warmUp}; {@link #choose} decides.
     */
    static List<GGMLType> likelyTypes(QuantizationMix mix) {
        if (!mix.quantized()) return List.of();
        GGMLType fallback = fallbackOf(mix.defaultType);
        return fallback == mix.defaultType ? List.of(mix.defaultType) : List.of(mix.defaultType, fallback);
    }

    static boolean isAttentionV(Category c) {
        return c == Category.ATTENTION_V || c == Category.ATTENTION_QKV || c == Category.ATTENTION_KV_B;
    }

    static Category category(String name) {
        if (name.equals("output.weight")) return Category.OUTPUT;
        if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight")) return Category.TOKEN_EMBD;
        if (name.contains("attn_qkv.weight")) return Category.ATTENTION_QKV;
        if (name.contains("attn_kv_b.weight")) return Category.ATTENTION_KV_B;
        if (name.contains("attn_v.weight")) return Category.ATTENTION_V;
        if (name.contains("attn_k.weight")) return Category.ATTENTION_K;
        if (name.contains("attn_q.weight")) return Category.ATTENTION_Q;
        if (name.contains("attn_output.weight")) return Category.ATTENTION_OUTPUT;
        if (name.contains("ffn_up")) return Category.FFN_UP;
        if (name.contains("ffn_gate")) return Category.FFN_GATE;
        if (name.contains("ffn_down")) return Category.FFN_DOWN;
        return Category.OTHER;
    }
}
