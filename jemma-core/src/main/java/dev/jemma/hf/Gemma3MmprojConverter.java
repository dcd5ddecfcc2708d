package dev.jemma.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jemma.gguf.GGUFMetadata.Entry;
import dev.jemma.gguf.GGUFValueType;
import dev.jemma.gguf.GGUFWriter;
import dev.jemma.safetensors.SafetensorsCheckpoint;
import dev.jemma.tensor.GGMLType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The vision half of a Gemma3ForConditionalGeneration folder as llama.cpp's mmproj file (convert_hf_to_gguf.py
 * {@code --mmproj}, class {@code Gemma3VisionModel}): {@code general.type = mmproj}, architecture {@code clip}, the
 * SigLIP tower as {@code v.*} and the projector as {@code mm.*}; the projector's input projection always F16,
 * the embeddings always F32, the projector's RMS norm stored as 1 + w.
 */
final class Gemma3MmprojConverter {
    private static final Pattern LAYER = Pattern.compile("encoder\\.layers\\.(\\d+)\\.(.+)");
    private static final Map<String, String> PER_LAYER = Map.ofEntries(
            Map.entry("layer_norm1.weight", "ln1.weight"), Map.entry("layer_norm1.bias", "ln1.bias"),
            Map.entry("layer_norm2.weight", "ln2.weight"), Map.entry("layer_norm2.bias", "ln2.bias"),
            Map.entry("mlp.fc1.weight", "ffn_up.weight"), Map.entry("mlp.fc1.bias", "ffn_up.bias"),
            Map.entry("mlp.fc2.weight", "ffn_down.weight"), Map.entry("mlp.fc2.bias", "ffn_down.bias"),
            Map.entry("self_attn.q_proj.weight", "attn_q.weight"), Map.entry("self_attn.q_proj.bias", "attn_q.bias"),
            Map.entry("self_attn.k_proj.weight", "attn_k.weight"), Map.entry("self_attn.k_proj.bias", "attn_k.bias"),
            Map.entry("self_attn.v_proj.weight", "attn_v.weight"), Map.entry("self_attn.v_proj.bias", "attn_v.bias"),
            Map.entry("self_attn.out_proj.weight", "attn_out.weight"), Map.entry("self_attn.out_proj.bias", "attn_out.bias"));

    private record Mapped(String name, String source, long[] ne, boolean norm) {}

    private Gemma3MmprojConverter() {}

    static void convert(Path dir, Gemma3HfConfig cfg, SafetensorsCheckpoint st, HuggingFaceModel.OutType type, Path out,
                        LinkedHashMap<String, Entry> sampling) {
        if (!cfg.multimodal()) throw new HuggingFaceFormatException(dir + " is a text-only model (" + cfg.architecture() + "): it has no vision tower for an mmproj file");
        JsonNode v = cfg.root().path("vision_config");
        JsonNode pre = HfVocab.json(dir.resolve("preprocessor_config.json"));
        JsonNode proc = HfVocab.json(dir.resolve("processor_config.json"));
        Map<String, JsonNode> prep = new LinkedHashMap<>();
        if (pre != null) pre.fields().forEachRemaining(e -> prep.put(e.getKey(), e.getValue()));
        if (proc != null) {
            proc.fields().forEachRemaining(e -> prep.put(e.getKey(), e.getValue()));
            if (proc.path("image_processor").isObject()) proc.path("image_processor").fields().forEachRemaining(e -> prep.put(e.getKey(), e.getValue()));
        }
        if (!prep.containsKey("image_mean") || !prep.containsKey("image_std")) {
            throw new HuggingFaceFormatException(dir + " has no image_mean/image_std (preprocessor_config.json), which the mmproj file records");
        }
        List<Mapped> tensors = new ArrayList<>();
        for (String hf : st.names()) {
            String name = map(hf);
            if (name == null) {
                if (Gemma3TensorNames.isVision(hf)) throw new HuggingFaceFormatException(dir + ": tensor " + hf + " is not part of Gemma 3's vision tower or projector");
                continue;
            }
            long[] shape = st.tensor(hf).tensor().shape();
            long[] ne = new long[shape.length];
            for (int i = 0; i < shape.length; i++) ne[i] = shape[shape.length - 1 - i];
            tensors.add(new Mapped(name, hf, ne, name.equals("mm.soft_emb_norm.weight")));
        }
        if (tensors.isEmpty()) throw new HuggingFaceFormatException(dir + " has no vision tensors");

        long params = 0;
        for (Mapped m : tensors) params += HuggingFaceModel.elements(m.ne());
        int fileType = switch (type) { case F32 -> 0; case F16, AUTO -> 1; case BF16 -> 32; case Q8_0 -> 7; };
        GGUFWriter w = new GGUFWriter();
        w.put("general.architecture", str("clip"));
        w.put("general.type", str("mmproj"));
        for (Map.Entry<String, Entry> e : sampling.entrySet()) w.put(e.getKey(), e.getValue());
        LinkedHashMap<String, Entry> general = new LinkedHashMap<>();
        ModelNaming.of(dir.toAbsolutePath().normalize().getFileName().toString(), params).addTo(general, params);
        for (Map.Entry<String, Entry> e : general.entrySet()) w.put(e.getKey(), e.getValue());
        w.put("general.file_type", u32(fileType));
        w.put("clip.has_vision_encoder", new Entry(GGUFValueType.BOOL, null, true));
        w.put("clip.vision.projection_dim", u32(cfg.hidden()));
        int imageSize = v.path("image_size").asInt(224), patch = v.path("patch_size").asInt(16);
        w.put("clip.vision.image_size", u32(imageSize));
        w.put("clip.vision.patch_size", u32(patch));
        w.put("clip.vision.embedding_length", u32(v.path("hidden_size").asInt(768)));
        w.put("clip.vision.feed_forward_length", u32(v.path("intermediate_size").asInt(3072)));
        w.put("clip.vision.block_count", u32(v.path("num_hidden_layers").asInt(12)));
        w.put("clip.vision.attention.head_count", u32(v.path("num_attention_heads").asInt(12)));
        w.putArray("clip.vision.image_mean", GGUFValueType.FLOAT32, floats(prep.get("image_mean")));
        w.putArray("clip.vision.image_std", GGUFValueType.FLOAT32, floats(prep.get("image_std")));
        w.put("clip.projector_type", str("gemma3"));
        w.put("clip.vision.attention.layer_norm_epsilon", new Entry(GGUFValueType.FLOAT32, null, (float) v.path("layer_norm_eps").asDouble(1e-6)));
        w.put("clip.use_gelu", new Entry(GGUFValueType.BOOL, null, true));
        JsonNode seq = prep.get("image_seq_length");
        int perSide = (int) Math.sqrt(seq != null ? seq.asInt(256) : 256);
        int scale = perSide > 0 ? (imageSize / patch) / perSide : 0;
        if (scale > 0 && scale != 4) w.put("clip.vision.projector.scale_factor", u32(scale)); // written for test-size models only
        w.put("general.quantization_version", u32(2));

        for (Mapped m : tensors) {
            GGMLType t = type(m, type);
            w.tensor(m.name(), m.ne(), t, sink -> {
                float[] values = st.toFloats(m.source());
                if (m.norm()) for (int i = 0; i < values.length; i++) values[i] = values[i] + 1f;
                HuggingFaceModel.put(sink, t, values, (int) m.ne()[0]);
            });
        }
        w.write(out);
    }

    /** The converter's rule: input projection F16, embeddings F32, vectors and norms F32, matrices the chosen type. */
    private static GGMLType type(Mapped m, HuggingFaceModel.OutType t) {
        if (m.source().contains("input_projection")) return GGMLType.F16;
        if (m.source().contains(".embeddings.")) return GGMLType.F32;
        return HuggingFaceModel.tensorType(m.name(), m.ne(), t);
    }

    /** HF name → mmproj name, or null for tensors that are not part of the vision side. */
    static String map(String hf) {
        String n = hf.replace("_weight", ".weight");
        for (String p : new String[]{"model.multi_modal_projector.", "multi_modal_projector."}) {
            if (n.startsWith(p)) {
                String r = n.substring(p.length());
                return switch (r) {
                    case "mm_input_projection.weight" -> "mm.input_projection.weight";
                    case "mm_soft_emb_norm.weight" -> "mm.soft_emb_norm.weight";
                    default -> null;
                };
            }
        }
        String local = null;
        for (String p : new String[]{"model.vision_tower.vision_model.", "vision_tower.vision_model."}) {
            if (n.startsWith(p)) local = n.substring(p.length());
        }
        if (local == null) return null;
        switch (local) {
            case "embeddings.patch_embedding.weight": return "v.patch_embd.weight";
            case "embeddings.patch_embedding.bias": return "v.patch_embd.bias";
            case "embeddings.position_embedding.weight": return "v.position_embd.weight";
            case "post_layernorm.weight": return "v.post_ln.weight";
            case "post_layernorm.bias": return "v.post_ln.bias";
            default: break;
        }
        Matcher m = LAYER.matcher(local);
        if (m.matches() && PER_LAYER.containsKey(m.group(2))) return "v.blk." + m.group(1) + "." + PER_LAYER.get(m.group(2));
        return null;
    }

    private static float[] floats(JsonNode a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) a.get(i).asDouble();
        return f;
    }

    private static Entry str(String s) {
        return new Entry(GGUFValueType.STRING, null, s);
    }

    private static Entry u32(long v) {
        return new Entry(GGUFValueType.UINT32, null, v);
    }
}
