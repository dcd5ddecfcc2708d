package dev.jemma.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.gguf.GGUFMetadata.Entry;
import dev.jemma.gguf.GGUFValueType;
import dev.jemma.tokenizer.SentencePieceModelFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code tokenizer.*} metadata llama.cpp's converter writes for a Gemma 3 folder with a SentencePiece
 * {@code tokenizer.model} (convert_hf_to_gguf.py {@code _create_vocab_sentencepiece} and gguf-py's
 * {@code SpecialVocab}): pieces, scores and token types padded to the config's vocabulary size, the added tokens
 * of {@code added_tokens.json} and {@code tokenizer_config.json}, the special token ids, the add-BOS/EOS/SEP flags
 * and the chat template. docs/CONVERT.md lists the rules.
 */
final class HfVocab {
    /** llama.cpp token types */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    private static final List<String> SPECIAL_TYPES = List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask");
    private static final Map<String, String> ID_KEYS = Map.of("bos", "bos_token_id", "eos", "eos_token_id",
            "unk", "unknown_token_id", "sep", "seperator_token_id", "pad", "padding_token_id", "cls", "cls_token_id",
            "mask", "mask_token_id", "eot", "eot_token_id", "eom", "eom_token_id");

    final String[] tokens;
    final float[] scores;
    final int[] types;

    private HfVocab(String[] tokens, float[] scores, int[] types) {
        this.tokens = tokens;
        this.scores = scores;
        this.types = types;
    }

    static HfVocab read(Path dir, int vocabSize) {
        Path model = dir.resolve("tokenizer.model");
        if (!Files.isRegularFile(model)) {
            throw new HuggingFaceFormatException(dir + " has no tokenizer.model: Jemma converts Gemma's SentencePiece tokenizer (the file every Gemma 3 checkpoint ships)");
        }
        List<SentencePieceModelFile.Piece> pieces = SentencePieceModelFile.read(model);
        int n = vocabSize > 0 ? vocabSize : pieces.size();
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = "[PAD" + i + "]";
            scores[i] = -10000f;
            types[i] = UNUSED;
        }
        for (int id = 0; id < Math.min(n, pieces.size()); id++) {
            SentencePieceModelFile.Piece p = pieces.get(id);
            tokens[id] = p.text();
            scores[id] = p.score();
            types[id] = switch (p.type()) {
                case SentencePieceModelFile.UNKNOWN -> UNKNOWN;
                case SentencePieceModelFile.CONTROL -> CONTROL;
                case SentencePieceModelFile.UNUSED -> UNUSED;
                case SentencePieceModelFile.BYTE -> BYTE;
                default -> NORMAL; // user-defined pieces count as normal here; added tokens below may change them
            };
        }
        JsonNode added = json(dir.resolve("added_tokens.json"));
        if (added != null && added.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = added.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int id = e.getValue().asInt(-1);
                if (id < 0 || id >= n) continue;
                tokens[id] = e.getKey();
                scores[id] = -1000f;
                types[id] = USER_DEFINED;
            }
        }
        JsonNode config = json(dir.resolve("tokenizer_config.json"));
        if (config != null && config.path("added_tokens_decoder").isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = config.path("added_tokens_decoder").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException x) {
                    throw new HuggingFaceFormatException(dir.resolve("tokenizer_config.json") + ": added token id '" + e.getKey() + "' is not a number");
                }
                if (id < 0 || id >= n) continue;
                String content = e.getValue().path("content").asText();
                if (e.getValue().path("special").asBoolean(false) || looksSpecial(content)) {
                    types[id] = CONTROL;
                } else {
                    content = content.replace("\u2581", " ");
                    types[id] = USER_DEFINED;
                }
                scores[id] = -1000f;
                tokens[id] = content;
            }
        }
        return new HfVocab(tokens, scores, types);
    }

    /** Added tokens llama.cpp treats as control tokens even when not marked special. */
    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uFF5C") && t.endsWith("\uFF5C>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }

    /** Appends the tokenizer keys in the converter's order. */
    void addTo(LinkedHashMap<String, Entry> md, Path dir, Gemma3HfConfig cfg) {
        md.put("tokenizer.ggml.model", str("llama"));
        md.put("tokenizer.ggml.pre", str("default"));
        md.put("tokenizer.ggml.tokens", new Entry(GGUFValueType.ARRAY, GGUFValueType.STRING, tokens));
        md.put("tokenizer.ggml.scores", new Entry(GGUFValueType.ARRAY, GGUFValueType.FLOAT32, scores));
        md.put("tokenizer.ggml.token_type", new Entry(GGUFValueType.ARRAY, GGUFValueType.INT32, types));
        SpecialVocab sv = new SpecialVocab(tokens.length);
        sv.load(dir, cfg);
        for (Map.Entry<String, Integer> e : sv.ids.entrySet()) {
            String key = ID_KEYS.get(e.getKey());
            if (key != null) md.put("tokenizer.ggml." + key, new Entry(GGUFValueType.UINT32, null, (long) e.getValue()));
        }
        for (Map.Entry<String, Boolean> e : sv.add.entrySet()) {
            md.put("tokenizer.ggml.add_" + e.getKey() + "_token", new Entry(GGUFValueType.BOOL, null, e.getValue()));
        }
        if (sv.chatTemplate != null) md.put("tokenizer.chat_template", str(sv.chatTemplate));
        if (sv.lowercase != null) md.put("tokenizer.ggml.normalizer.lowercase", new Entry(GGUFValueType.BOOL, null, sv.lowercase));
        if (sv.stripAccents != null) md.put("tokenizer.ggml.normalizer.strip_accents", new Entry(GGUFValueType.BOOL, null, sv.stripAccents));
        md.put("tokenizer.ggml.add_space_prefix", new Entry(GGUFValueType.BOOL, null, false));
    }

    private static Entry str(String s) {
        return new Entry(GGUFValueType.STRING, null, s);
    }

    static JsonNode json(Path p) {
        if (!Files.isRegularFile(p)) return null;
        try {
            if (Files.size(p) > (256L << 20)) throw new HuggingFaceFormatException(p + " is larger than 256 MiB");
            return new ObjectMapper().readTree(p.toFile());
        } catch (IOException e) {
            throw new HuggingFaceFormatException(p + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** gguf-py's SpecialVocab for SentencePiece models: special ids, add-token flags, chat template. */
    static final class SpecialVocab {
        final int nVocab;
        final LinkedHashMap<String, Integer> ids = new LinkedHashMap<>();
        final LinkedHashMap<String, Boolean> add = new LinkedHashMap<>();
        List<String> specialTypes = SPECIAL_TYPES;
        String chatTemplate;
        Boolean lowercase, stripAccents;

        SpecialVocab(int nVocab) {
            this.nVocab = nVocab;
        }

        void load(Path dir, Gemma3HfConfig cfg) {
            fromTokenizerJson(dir);
            for (String typ : specialTypes) {
                JsonNode v = cfg.root().get(typ + "_token_id");
                if (v == null && cfg.root().has("text_config")) v = cfg.root().path("text_config").get(typ + "_token_id");
                set(typ, v);
            }
        }

        private void set(String typ, JsonNode v) {
            if (v == null || !v.isIntegralNumber()) return;
            long id = v.asLong();
            if (id < 0) throw new HuggingFaceFormatException("special token " + typ + " has the invalid id " + id);
            if (id < nVocab && !ids.containsKey(typ)) ids.put(typ, (int) id);
        }

        private void fromTokenizerJson(Path dir) {
            JsonNode tok = json(dir.resolve("tokenizer.json"));
            JsonNode added = tok != null ? tok.path("added_tokens") : null;
            if (tok != null && tok.path("normalizer").isObject()) normalizer(tok.path("normalizer"));
            JsonNode configNode = json(dir.resolve("tokenizer_config.json"));
            Map<String, JsonNode> config = new LinkedHashMap<>();
            if (configNode != null && configNode.isObject()) configNode.fields().forEachRemaining(e -> config.put(e.getKey(), e.getValue()));
            boolean hasConfig = !config.isEmpty();
            if (tok != null) {
                String bos = text(config.get("bos_token")), cls = text(config.get("cls_token"));
                String eos = text(config.get("eos_token")), sep = text(config.get("sep_token"));
                if (bos == null && cls != null && hasConfig) config.put("bos_token", textNode(bos = cls));
                if (eos == null && sep != null && hasConfig) config.put("eos_token", textNode(eos = sep));
                JsonNode pp = tok.path("post_processor");
                if (pp.isObject()) {
                    Iterable<JsonNode> processors = pp.has("processors") ? pp.path("processors") : List.of(pp);
                    for (JsonNode proc : processors) {
                        String type = proc.path("type").asText("");
                        if (type.equals("ByteLevel")) {
                            add.putIfAbsent("bos", false);
                            add.putIfAbsent("eos", false);
                        } else if (type.equals("RobertaProcessing")) {
                            add.put("bos", true);
                            add.put("eos", true);
                            add.put("sep", true);
                        } else if (type.equals("TemplateProcessing")) {
                            String[] r = template(proc, config, hasConfig, bos, cls, eos, sep);
                            bos = r[0];
                            eos = r[1];
                        }
                    }
                }
            }
            if (!hasConfig) return;
            String alt = null;
            Path jinja = dir.resolve("chat_template.jinja"), cj = dir.resolve("chat_template.json");
            try {
                if (Files.isRegularFile(jinja)) alt = Files.readString(jinja);
                else if (Files.isRegularFile(cj)) {
                    JsonNode t = json(cj).path("chat_template");
                    alt = t.isTextual() ? t.asText() : null;
                }
            } catch (IOException e) {
                throw new HuggingFaceFormatException("cannot read the chat template of " + dir + ": " + e.getMessage(), e);
            }
            JsonNode ct = config.get("chat_template");
            chatTemplate = ct != null && ct.isTextual() ? ct.asText() : ct == null ? alt : null;
            for (String typ : specialTypes) {
                JsonNode a = config.get("add_" + typ + "_token");
                if (a != null && a.isBoolean()) add.putIfAbsent(typ, a.asBoolean());
                String content = text(config.get(typ + "_token"));
                if (content == null) continue;
                JsonNode id = null;
                if (added != null && added.isArray()) {
                    for (JsonNode t : added) {
                        if (content.equals(t.path("content").asText(null))) {
                            id = t.get("id");
                            break;
                        }
                    }
                }
                set(typ, id);
            }
        }

        /** The simple cases of a TemplateProcessing post-processor: whether BOS/EOS/SEP are added. */
        private String[] template(JsonNode proc, Map<String, JsonNode> config, boolean hasConfig, String bos, String cls, String eos, String sep) {
            JsonNode single = proc.path("single"), pair = proc.path("pair");
            String first = null, last = null;
            if (single.isArray() && single.size() > 1) {
                first = single.get(0).path("SpecialToken").path("id").asText(null);
                if (first != null && !first.isEmpty()) {
                    if (!hasConfig) bos = first;
                    else if (!first.equals(bos) && !first.equals(cls)) {
                        if (bos == null) config.put("bos_token", textNode(bos = first));
                        if (cls == null) config.put("cls_token", textNode(cls = first));
                    }
                    add.put("bos", first.equals(bos) || first.equals(cls));
                } else first = null;
                last = single.get(single.size() - 1).path("SpecialToken").path("id").asText(null);
                if (last != null && !last.isEmpty()) {
                    if (!hasConfig) eos = last;
                    else if (!last.equals(eos)) {
                        if (!specialTypes.contains("eot")) {
                            specialTypes = append(specialTypes, "eot");
                            config.put("eot_token", textNode(eos));
                        } else if (!specialTypes.contains("eom")) {
                            specialTypes = append(specialTypes, "eom");
                            config.put("eom_token", textNode(eos));
                        }
                        config.put("eos_token", textNode(eos = last));
                    }
                    add.put("eos", last.equals(eos));
                } else last = null;
            }
            if (pair.isArray() && pair.size() > 0) {
                int start = first != null && first.equals(pair.get(0).path("SpecialToken").path("id").asText(null)) ? 1 : 0;
                int stop = last != null && last.equals(pair.get(pair.size() - 1).path("SpecialToken").path("id").asText(null)) ? pair.size() - 1 : pair.size();
                if (stop > start) {
                    String a = pair.get(start).path("Sequence").path("id").asText(null);
                    String b = pair.get(stop - 1).path("Sequence").path("id").asText(null);
                    if ("A".equals(a) && "B".equals(b) && stop - start > 2) {
                        boolean addSep = false;
                        String entry = pair.get(start + 1).path("SpecialToken").path("id").asText(null);
                        if (entry != null && (entry.equals(sep) || entry.equals(eos)) && last == null) addSep = true;
                        if (stop - start - 2 == 2) {
                            String e2 = pair.get(start + 2).path("SpecialToken").path("id").asText(null);
                            if (e2 != null && (e2.equals(sep) || e2.equals(eos))) addSep = true;
                        }
                        add.put("sep", addSep);
                        if (addSep && sep == null && hasConfig) config.put("sep_token", textNode(eos));
                    }
                }
            }
            return new String[]{bos, eos};
        }

        private void normalizer(JsonNode n) {
            switch (n.path("type").asText("")) {
                case "Lowercase" -> lowercase = true;
                case "StripAccents" -> stripAccents = true;
                case "BertNormalizer" -> {
                    if (n.has("lowercase")) lowercase = n.path("lowercase").asBoolean();
                    if (n.has("strip_accents")) stripAccents = n.path("strip_accents").isNull() ? null : n.path("strip_accents").asBoolean();
                }
                case "Sequence" -> n.path("normalizers").forEach(this::normalizer);
                default -> { }
            }
        }

        private static List<String> append(List<String> l, String s) {
            String[] a = Arrays.copyOf(l.toArray(String[]::new), l.size() + 1);
            a[l.size()] = s;
            return List.of(a);
        }

        private static String text(JsonNode v) {
            if (v == null) return null;
            if (v.isTextual()) return v.asText();
            if (v.isObject() && v.path("content").isTextual()) return v.path("content").asText();
            return null;
        }

        private static JsonNode textNode(String s) {
            return com.fasterxml.jackson.databind.node.TextNode.valueOf(s);
        }
    }
}
