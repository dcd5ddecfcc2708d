package dev.jemma.hf;

import dev.jemma.safetensors.SafetensorsCheckpoint;
import dev.jemma.safetensors.SafetensorsTensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face Gemma 3 tensor names to llama.cpp's GGUF names (gguf-py's tensor_mapping for GEMMA3), with each
 * tensor's shape checked against the config. The language model's tensors may sit under {@code model.}
 * (Gemma3ForCausalLM), {@code language_model.model.} or {@code model.language_model.} (Gemma3ForConditionalGeneration,
 * transformers before and after 4.52); vision tensors are not part of the text model.
 */
final class Gemma3TensorNames {
    private static final Pattern LAYER = Pattern.compile("layers\\.(\\d+)\\.(.+)");
    private static final Map<String, String> PER_LAYER = Map.ofEntries(
            Map.entry("input_layernorm.weight", "attn_norm.weight"),
            Map.entry("self_attn.q_proj.weight", "attn_q.weight"),
            Map.entry("self_attn.k_proj.weight", "attn_k.weight"),
            Map.entry("self_attn.v_proj.weight", "attn_v.weight"),
            Map.entry("self_attn.o_proj.weight", "attn_output.weight"),
            Map.entry("self_attn.q_norm.weight", "attn_q_norm.weight"),
            Map.entry("self_attn.k_norm.weight", "attn_k_norm.weight"),
            Map.entry("post_attention_layernorm.weight", "post_attention_norm.weight"),
            Map.entry("pre_feedforward_layernorm.weight", "ffn_norm.weight"),
            Map.entry("post_feedforward_layernorm.weight", "post_ffw_norm.weight"),
            Map.entry("mlp.gate_proj.weight", "ffn_gate.weight"),
            Map.entry("mlp.up_proj.weight", "ffn_up.weight"),
            Map.entry("mlp.down_proj.weight", "ffn_down.weight"));

    private Gemma3TensorNames() {}

    /** The text model's tensors in the converter's order; vocabRows > 0 cuts the embedding to the tokenizer's size. */
    static List<HuggingFaceModel.Mapped> map(Gemma3HfConfig c, SafetensorsCheckpoint st, long vocabRows, Path dir) {
        List<HuggingFaceModel.Mapped> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String hf : st.names()) {
            if (isVision(hf)) continue;
            String local = strip(hf);
            String name;
            if (local.equals("embed_tokens.weight")) name = "token_embd.weight";
            else if (local.equals("norm.weight")) name = "output_norm.weight";
            else if (local.equals("lm_head.weight")) {
                if (c.tiedEmbeddings()) continue;
                name = "output.weight";
            } else if (local.endsWith("rotary_emb.inv_freq")) continue;
            else {
                Matcher m = LAYER.matcher(local);
                String suffix = m.matches() ? PER_LAYER.get(m.group(2)) : null;
                if (suffix == null) throw new HuggingFaceFormatException(dir + ": tensor " + hf + " is not part of a Gemma 3 language model");
                int layer = Integer.parseInt(m.group(1));
                if (layer >= c.layers()) throw new HuggingFaceFormatException(dir + ": tensor " + hf + " is in layer " + layer + " but config.json has " + c.layers() + " layers");
                name = "blk." + layer + "." + suffix;
            }
            if (!seen.add(name)) throw new HuggingFaceFormatException(dir + ": two tensors map to " + name + " (the second is " + hf + ")");
            SafetensorsTensor t = st.tensor(hf).tensor();
            long[] expect = expected(c, name);
            long[] shape = t.shape();
            boolean embedding = name.equals("token_embd.weight") || name.equals("output.weight");
            boolean ok = shape.length == expect.length;
            for (int i = 0; ok && i < shape.length; i++) ok = embedding && i == 0 ? shape[0] >= 1 : shape[i] == expect[i];
            if (!ok) {
                throw new HuggingFaceFormatException(dir + ": tensor " + hf + " has shape " + Arrays.toString(shape)
                        + ", config.json implies " + Arrays.toString(expect));
            }
            long rows = shape.length > 1 ? shape[0] : 1;
            if (embedding && vocabRows > 0) rows = Math.min(rows, vocabRows);
            long[] ne = shape.length == 1 ? new long[]{shape[0]} : new long[]{shape[1], rows};
            out.add(new HuggingFaceModel.Mapped(name, hf, ne, name.endsWith("norm.weight"), rows));
        }
        List<String> missing = new ArrayList<>();
        if (!seen.contains("token_embd.weight")) missing.add("embed_tokens.weight");
        if (!seen.contains("output_norm.weight")) missing.add("norm.weight");
        for (int l = 0; l < c.layers(); l++) {
            for (String s : PER_LAYER.values()) if (!seen.contains("blk." + l + "." + s)) missing.add("blk." + l + "." + s);
        }
        if (!missing.isEmpty()) {
            throw new HuggingFaceFormatException(dir + ": the checkpoint lacks " + missing.size() + " tensor(s) of the language model, e.g. "
                    + missing.subList(0, Math.min(5, missing.size())));
        }
        return out;
    }

    static boolean isVision(String hf) {
        return hf.startsWith("vision_tower.") || hf.startsWith("multi_modal_projector.") || hf.startsWith("model.vision_tower.")
                || hf.startsWith("model.multi_modal_projector.") || hf.startsWith("vision_model.") || hf.startsWith("multimodal_projector.");
    }

    private static String strip(String hf) {
        for (String p : new String[]{"model.language_model.", "language_model.model.", "language_model.", "model."}) {
            if (hf.startsWith(p)) return hf.substring(p.length());
        }
        return hf;
    }

    private static long[] expected(Gemma3HfConfig c, String gguf) {
        long h = c.hidden(), q = (long) c.heads() * c.headDim(), kv = (long) c.kvHeads() * c.headDim();
        if (gguf.equals("token_embd.weight") || gguf.equals("output.weight")) return new long[]{c.vocabSize(), h};
        if (gguf.equals("output_norm.weight")) return new long[]{h};
        String s = gguf.substring(gguf.indexOf('.', 4) + 1);
        return switch (s) {
            case "attn_norm.weight", "post_attention_norm.weight", "ffn_norm.weight", "post_ffw_norm.weight" -> new long[]{h};
            case "attn_q_norm.weight", "attn_k_norm.weight" -> new long[]{c.headDim()};
            case "attn_q.weight" -> new long[]{q, h};
            case "attn_k.weight", "attn_v.weight" -> new long[]{kv, h};
            case "attn_output.weight" -> new long[]{h, q};
            case "ffn_gate.weight", "ffn_up.weight" -> new long[]{c.ffn(), h};
            case "ffn_down.weight" -> new long[]{h, c.ffn()};
            default -> throw new IllegalStateException(gguf);
        };
    }
}
