package dev.jemma.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} with the streaming parser (the Gemma 3 file is ~33 MB;
 * only the vocabulary, merges and added tokens are kept). Supports what Gemma 3 uses: a BPE model with
 * byte fallback, the Replace(" " → "▁") normaliser and the Split(" ") pre-tokenizer; anything else is
 * rejected with a {@link TokenizerFormatException} naming the field.
 */
final class TokenizerJsonLoader {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TokenizerJsonLoader() {
    }

    private record Added(int id, String content, boolean special) {
    }

    static Tokenizer load(Path path) {
        try (JsonParser p = new JsonFactory().createParser(path.toFile())) {
            return new TokenizerJsonLoader.Reader(p, path).read();
        } catch (JsonParseException e) {
            throw new TokenizerFormatException("malformed tokenizer JSON " + path + ": " + e.getOriginalMessage(), e);
        } catch (NoSuchFileException e) {
            throw new TokenizerFormatException("tokenizer file not found: " + path, e);
        } catch (IOException e) {
            if (!path.toFile().isFile()) throw new TokenizerFormatException("tokenizer file not found: " + path, e);
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    private static final class Reader {
        final JsonParser p;
        final Path path;
        final List<Added> added = new ArrayList<>();
        Map<String, Integer> vocab;
        // merges resolved to ids (when the vocabulary came first) or kept as text until the end
        int[] mergeLeft = new int[0], mergeRight = new int[0];
        int mergeCount;
        List<String[]> pendingMerges;
        String modelType;
        boolean byteFallback;
        boolean fuseUnk;
        boolean ignoreMerges;
        String unkToken;
        boolean sawModel;

        Reader(JsonParser p, Path path) {
            this.p = p;
            this.path = path;
        }

        TokenizerFormatException error(String field, String what) {
            return new TokenizerFormatException("tokenizer.json " + path + ": '" + field + "' " + what);
        }

        void expect(JsonToken t, String field) throws IOException {
            if (p.currentToken() != t) throw error(field, "expected " + t + ", found " + p.currentToken());
        }

        Tokenizer read() throws IOException {
            p.nextToken();
            expect(JsonToken.START_OBJECT, "(root)");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                switch (name) {
                    case "added_tokens" -> readAdded();
                    case "model" -> readModel();
                    case "normalizer" -> checkNormalizer(readTree());
                    case "pre_tokenizer" -> checkPreTokenizer(readTree());
                    default -> p.skipChildren();
                }
            }
            if (!sawModel) throw error("model", "is missing");
            return build();
        }

        JsonNode readTree() throws IOException {
            return MAPPER.readTree(p);
        }

        void readAdded() throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NULL) return;
            expect(JsonToken.START_ARRAY, "added_tokens");
            int index = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                JsonNode n = readTree();
                JsonNode id = n.get("id"), content = n.get("content");
                String field = "added_tokens[" + index + "]";
                if (id == null || !id.canConvertToInt() || id.asInt() < 0) throw error(field + ".id", "must be a non-negative integer");
                if (content == null || !content.isTextual()) throw error(field + ".content", "must be a string");
                JsonNode special = n.get("special");
                JsonNode normalized = n.get("normalized");
                if (normalized != null && normalized.asBoolean(false) && content.asText().indexOf(' ') >= 0) {
                    throw error(field + ".normalized", "true is not supported for a token containing a space");
                }
                for (String flag : new String[]{"lstrip", "rstrip", "single_word"}) {
                    JsonNode f = n.get(flag);
                    if (f != null && f.asBoolean(false)) throw error(field + "." + flag, "true is not supported");
                }
                added.add(new Added(id.asInt(), content.asText(), special != null && special.asBoolean(false)));
                index++;
            }
        }

        void readModel() throws IOException {
            sawModel = true;
            expect(JsonToken.START_OBJECT, "model");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                switch (name) {
                    case "type" -> modelType = p.getValueAsString();
                    case "vocab" -> readVocab();
                    case "merges" -> readMerges();
                    case "byte_fallback" -> byteFallback = t == JsonToken.VALUE_TRUE;
                    case "fuse_unk" -> fuseUnk = t == JsonToken.VALUE_TRUE;
                    case "ignore_merges" -> ignoreMerges = t == JsonToken.VALUE_TRUE;
                    case "unk_token" -> unkToken = t == JsonToken.VALUE_NULL ? null : p.getValueAsString();
                    case "dropout" -> {
                        if (t != JsonToken.VALUE_NULL && p.getValueAsDouble() != 0.0) throw error("model.dropout", "is not supported");
                    }
                    case "continuing_subword_prefix", "end_of_word_suffix" -> {
                        if (t != JsonToken.VALUE_NULL && !p.getValueAsString("").isEmpty()) {
                            throw error("model." + name, "is not supported");
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (modelType != null && !modelType.equals("BPE")) throw error("model.type", "is '" + modelType + "', only BPE is supported");
        }

        void readVocab() throws IOException {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw error("model.vocab", "must be an object of piece → id (a BPE vocabulary)");
            }
            vocab = new HashMap<>(1 << 19);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String piece = p.currentName();
                JsonToken t = p.nextToken();
                if (t != JsonToken.VALUE_NUMBER_INT) throw error("model.vocab[" + piece + "]", "must be an integer id");
                long id = p.getLongValue();
                if (id < 0 || id >= Integer.MAX_VALUE / 2) throw error("model.vocab[" + piece + "]", "id " + id + " out of range");
                vocab.put(piece, (int) id);
            }
        }

        void readMerges() throws IOException {
            expect(JsonToken.START_ARRAY, "model.merges");
            int index = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                String a, b;
                if (p.currentToken() == JsonToken.VALUE_STRING) {
                    String s = p.getText();
                    int sp = s.indexOf(' ');
                    if (sp < 0 || s.indexOf(' ', sp + 1) >= 0) {
                        throw error("model.merges[" + index + "]", "must be \"left right\" with exactly one space: '" + s + "'");
                    }
                    a = s.substring(0, sp);
                    b = s.substring(sp + 1);
                } else if (p.currentToken() == JsonToken.START_ARRAY) {
                    if (p.nextToken() != JsonToken.VALUE_STRING) throw error("model.merges[" + index + "]", "must be a pair of strings");
                    a = p.getText();
                    if (p.nextToken() != JsonToken.VALUE_STRING) throw error("model.merges[" + index + "]", "must be a pair of strings");
                    b = p.getText();
                    if (p.nextToken() != JsonToken.END_ARRAY) throw error("model.merges[" + index + "]", "must be a pair of strings");
                } else {
                    throw error("model.merges[" + index + "]", "must be a string or a pair of strings");
                }
                if (vocab != null) {
                    addMerge(index, a, b);
                } else {
                    if (pendingMerges == null) pendingMerges = new ArrayList<>();
                    pendingMerges.add(new String[]{a, b});
                }
                index++;
            }
        }

        void addMerge(int index, String a, String b) {
            Integer l = vocab.get(a), r = vocab.get(b);
            if (l == null || r == null) {
                throw error("model.merges[" + index + "]", "uses a piece missing from model.vocab: '" + (l == null ? a : b) + "'");
            }
            if (mergeCount == mergeLeft.length) {
                int cap = Math.max(1024, mergeCount * 2);
                mergeLeft = java.util.Arrays.copyOf(mergeLeft, cap);
                mergeRight = java.util.Arrays.copyOf(mergeRight, cap);
            }
            mergeLeft[mergeCount] = l;
            mergeRight[mergeCount] = r;
            mergeCount++;
        }

        void checkNormalizer(JsonNode n) {
            if (n == null || n.isNull()) {
                throw error("normalizer", "is null; Gemma's Replace(\" \" → \"▁\") is required");
            }
            List<JsonNode> parts = new ArrayList<>();
            if ("Sequence".equals(n.path("type").asText())) n.path("normalizers").forEach(parts::add);
            else parts.add(n);
            boolean ok = parts.size() == 1 && isReplace(parts.get(0), " ", "\u2581");
            if (!ok) throw error("normalizer", "is not supported (only Replace(\" \" → \"▁\")): " + n);
        }

        boolean isReplace(JsonNode n, String from, String to) {
            return "Replace".equals(n.path("type").asText())
                    && from.equals(n.path("pattern").path("String").asText(null))
                    && to.equals(n.path("content").asText(null));
        }

        void checkPreTokenizer(JsonNode n) {
            if (n == null || n.isNull()) return;
            boolean ok = "Split".equals(n.path("type").asText())
                    && " ".equals(n.path("pattern").path("String").asText(null))
                    && !n.path("invert").asBoolean(false);
            if (!ok) throw error("pre_tokenizer", "is not supported (only Split(\" \"), a no-op after the normalizer): " + n);
        }

        Tokenizer build() {
            if (vocab == null || vocab.isEmpty()) throw error("model.vocab", "is missing or empty");
            if (pendingMerges != null) {
                for (int i = 0; i < pendingMerges.size(); i++) addMerge(i, pendingMerges.get(i)[0], pendingMerges.get(i)[1]);
                pendingMerges = null;
            }
            int size = 0;
            for (int id : vocab.values()) size = Math.max(size, id + 1);
            for (Added a : added) size = Math.max(size, a.id + 1);
            String[] pieces = new String[size];
            byte[] kinds = new byte[size];
            PieceIndex pieceToId = new PieceIndex(pieces);
            for (Map.Entry<String, Integer> e : vocab.entrySet()) {
                int id = e.getValue();
                if (pieces[id] != null) throw error("model.vocab", "assigns id " + id + " twice");
                pieces[id] = e.getKey();
                pieceToId.putIfAbsent(id); // vocab texts are distinct (JSON object keys)
            }
            for (int id = 0; id < size; id++) {
                if (pieces[id] != null && byteFallback && Tokenizer.parseByteToken(pieces[id]) >= 0) kinds[id] = Tokenizer.BYTE;
            }
            for (Added a : added) {
                if (pieces[a.id] != null && !pieces[a.id].equals(a.content)) {
                    throw error("added_tokens", "id " + a.id + " is '" + a.content + "' but model.vocab has '" + pieces[a.id] + "'");
                }
                boolean inVocab = pieces[a.id] != null;
                pieces[a.id] = a.content;
                kinds[a.id] = a.special ? Tokenizer.SPECIAL : Tokenizer.ADDED;
                if (!inVocab) pieceToId.putIfAbsent(a.id);
            }
            for (int id = 0; id < size; id++) {
                if (pieces[id] == null) throw error("model.vocab", "has no piece for id " + id + " (ids must be contiguous)");
            }
            // merges: rank = position in the list; a repeated pair keeps its last rank (as the Rust library)
            PairTable table = new PairTable(mergeCount);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < mergeCount; i++) {
                sb.setLength(0);
                sb.append(pieces[mergeLeft[i]]).append(pieces[mergeRight[i]]);
                Integer merged = vocab.get(sb.toString());
                if (merged == null) throw error("model.merges[" + i + "]", "produces '" + sb + "', which is not in model.vocab");
                table.put(mergeLeft[i], mergeRight[i], i, merged);
            }
            mergeLeft = mergeRight = null;
            int unk = -1;
            if (unkToken != null) {
                unk = pieceToId.get(unkToken);
                if (unk < 0) throw error("model.unk_token", "'" + unkToken + "' is not in the vocabulary");
            }
            int bos = idOrMinus1(pieceToId, "<bos>"), eos = idOrMinus1(pieceToId, "<eos>"), pad = idOrMinus1(pieceToId, "<pad>");
            return new Tokenizer(pieces, kinds, pieceToId, table, bos, eos, pad, unk, ignoreMerges, fuseUnk);
        }

        static int idOrMinus1(PieceIndex m, String piece) {
            return m.get(piece);
        }
    }
}
