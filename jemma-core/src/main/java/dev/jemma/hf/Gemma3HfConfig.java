package dev.jemma.hf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Gemma 3 {@code config.json} ({@code Gemma3ForCausalLM}, or {@code Gemma3ForConditionalGeneration} whose
 * {@code text_config} describes the language model), with transformers' {@code Gemma3TextConfig} defaults for
 * absent fields (transformers {@code models/gemma3/configuration_gemma3.py}), as llama.cpp's converter sees it
 * after {@code AutoConfig}. Both RoPE spellings are read: transformers 5's {@code rope_parameters} per layer type
 * and the older {@code rope_theta}, {@code rope_local_base_freq} and {@code rope_scaling}.
 */
public record Gemma3HfConfig(
        String architecture,
        boolean multimodal,
        int vocabSize,
        int hidden,
        int ffn,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int contextLength,
        double rmsEps,
        int slidingWindow,
        /** 1 = every layer global (no sliding window) */
        int slidingWindowPattern,
        double ropeTheta,
        double ropeLocalTheta,
        /** linear RoPE scaling of global layers, or 0 when none */
        double ropeScaling,
        double queryPreAttnScalar,
        Double finalLogitSoftcap,
        boolean tiedEmbeddings,
        JsonNode root) {

    static final List<String> ARCHITECTURES = List.of("Gemma3ForCausalLM", "Gemma3ForConditionalGeneration");

    public static Gemma3HfConfig read(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) throw new HuggingFaceFormatException(dir + " has no config.json: not a Hugging Face model folder");
        JsonNode root;
        try {
            if (Files.size(file) > (16 << 20)) throw new HuggingFaceFormatException(file + " is larger than 16 MiB");
            root = new ObjectMapper().readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new HuggingFaceFormatException(file + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new HuggingFaceFormatException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new HuggingFaceFormatException(file + " is not a JSON object");
        List<String> archs = new ArrayList<>();
        if (root.path("architectures").isArray()) root.path("architectures").forEach(a -> archs.add(a.asText()));
        String arch = archs.stream().filter(ARCHITECTURES::contains).findFirst().orElse(null);
        if (arch == null) {
            String t = root.path("model_type").asText("");
            if (t.equals("gemma3_text")) arch = "Gemma3ForCausalLM";
            else if (t.equals("gemma3")) arch = "Gemma3ForConditionalGeneration";
            else throw new HuggingFaceFormatException(file + ": architecture " + (archs.isEmpty() ? "(none) model_type '" + t + "'" : archs)
                    + " is not supported; Jemma runs " + String.join(" and ", ARCHITECTURES));
        }
        boolean multimodal = arch.equals("Gemma3ForConditionalGeneration");
        JsonNode c = multimodal ? root.path("text_config") : root;
        if (multimodal && !c.isObject()) throw new HuggingFaceFormatException(file + ": Gemma3ForConditionalGeneration without a text_config object");
        Fields f = new Fields(c, file);
        int layers = f.integer("num_hidden_layers", 26);
        int pattern = f.integer("sliding_window_pattern", f.integer("_sliding_window_pattern", 6));
        JsonNode rope = c.path("rope_parameters");
        double theta, localTheta, scaling = 0;
        if (rope.isObject() && (rope.has("full_attention") || rope.has("sliding_attention"))) {
            JsonNode full = rope.path("full_attention"), local = rope.path("sliding_attention");
            theta = new Fields(full, file).real("rope_theta", 1_000_000.0);
            localTheta = new Fields(local, file).real("rope_theta", 10_000.0);
            if (full.path("rope_type").asText("default").equals("linear")) scaling = new Fields(full, file).real("factor", 1.0);
        } else {
            theta = f.real("rope_theta", 1_000_000.0);
            localTheta = f.real("rope_local_base_freq", 10_000.0);
            JsonNode rs = c.path("rope_scaling");
            if (rs.isObject() && rs.path("rope_type").asText(rs.path("type").asText("")).equals("linear")) scaling = new Fields(rs, file).real("factor", 1.0);
            else if (rs.isObject() && !rs.path("rope_type").asText(rs.path("type").asText("default")).equals("default")) {
                throw new HuggingFaceFormatException(file + ": rope_scaling " + rs + " is not supported (linear only)");
            }
        }
        String act = c.path("hidden_activation").asText("gelu_pytorch_tanh");
        if (!act.equals("gelu_pytorch_tanh")) throw new HuggingFaceFormatException(file + ": hidden_activation " + act + " is not Gemma 3's gelu_pytorch_tanh");
        JsonNode soft = c.path("final_logit_softcapping");
        int headDim = f.integer("head_dim", 256);
        Gemma3HfConfig cfg = new Gemma3HfConfig(arch, multimodal,
                f.integer("vocab_size", 262_208), f.integer("hidden_size", 2304), f.integer("intermediate_size", 9216),
                layers, f.integer("num_attention_heads", 8), f.integer("num_key_value_heads", 4), headDim,
                f.integer("max_position_embeddings", 131_072), f.real("rms_norm_eps", 1e-6),
                f.integer("sliding_window", 4096), pattern, theta, localTheta, scaling,
                f.real("query_pre_attn_scalar", 256), soft.isNumber() ? soft.asDouble() : null,
                root.path("tie_word_embeddings").asBoolean(c.path("tie_word_embeddings").asBoolean(true)),
                root);
        if (c.path("attn_logit_softcapping").isNumber()) throw new HuggingFaceFormatException(file + ": attn_logit_softcapping is set, which Gemma 3 does not use");
        return cfg;
    }

    /** Typed reads with the file and key in every error. */
    private record Fields(JsonNode n, Path file) {
        int integer(String key, int absent) {
            JsonNode v = n.get(key);
            if (v == null || v.isNull()) return absent;
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) throw new HuggingFaceFormatException(file + ": " + key + " must be a non-negative integer, got " + v);
            return v.asInt();
        }

        double real(String key, double absent) {
            JsonNode v = n.get(key);
            if (v == null || v.isNull()) return absent;
            if (!v.isNumber() || !Double.isFinite(v.asDouble())) throw new HuggingFaceFormatException(file + ": " + key + " must be a number, got " + v);
            return v.asDouble();
        }
    }
}
