package dev.jemma.server.api;

import dev.jemma.server.engine.ServedModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.server.ServerState;
import dev.jemma.server.engine.Engine;
import dev.jemma.server.engine.ModelInfo;
import dev.jemma.server.http.ApiException;
import dev.jemma.server.http.Json;
import dev.jemma.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Health, readiness, the model list, tokenization and the root page. None of them waits on the model. */
final class UtilityEndpoints {
    private UtilityEndpoints() {}

    /** Liveness: the process serves HTTP. Always 200 and public. */
    static ObjectNode health() {
        ObjectNode o = Json.object();
        o.put("status", "ok");
        return o;
    }

    /** Readiness: 200 once the model is loaded; 503 while loading or draining. */
    static ObjectNode ready(ServerState s) {
        if (s != ServerState.READY) {
            boolean loading = s == ServerState.LOADING;
            throw ApiException.overloaded(loading ? "Loading model" : "the server is shutting down", loading ? 5 : 30);
        }
        ObjectNode o = Json.object();
        o.put("status", "ready");
        return o;
    }

    /** Every served id, the default first: the base and each adapter on it. */
    static ObjectNode models(ServedModels models, Tokenizer tok) {
        ObjectNode o = Json.object();
        o.put("object", "list");
        var data = o.putArray("data");
        for (ServedModels.Served s : models.list()) data.add(model(models, s, tok));
        return o;
    }

    static ObjectNode model(ServedModels models, ServedModels.Served s, Tokenizer tok) {
        ModelInfo m = models.base();
        ObjectNode e = Json.object();
        e.put("id", s.id());
        e.put("object", "model");
        e.put("created", m.created());
        e.put("owned_by", "jemma");
        ObjectNode meta = e.putObject("meta");
        meta.put("n_ctx_train", m.trainedContextLength());
        meta.put("n_ctx", m.contextLength());
        meta.put("n_params", m.parameters());
        meta.put("n_vocab", tok.vocabularySize());
        meta.put("size", m.fileSize());
        meta.put("default", s.id().equals(models.defaultId()));
        if (s.isBase()) {
            meta.put("base", true);
        } else {
            meta.put("base", false);
            meta.put("parent", m.id());
            meta.put("adapter_id", s.adapter().id());
            meta.put("lora_rank", s.adapter().rank());
            meta.put("lora_scale", s.adapter().scale());
            meta.put("adapter_bytes", s.adapter().bytes());
        }
        return e;
    }

    /**
     * llama.cpp's POST /tokenize: {"content", "add_special", "with_pieces", "parse_special"} → {"tokens": [...]}.
     * Unlike llama.cpp, parse_special defaults to false: text stays text unless the caller asks.
     */
    static ObjectNode tokenize(ObjectNode body, Engine engine, int maxPromptChars) {
        Params p = Params.of(body);
        p.allowOnly(Set.of("content", "add_special", "with_pieces", "parse_special", "model"), Set.of());
        checkModel(p, engine.models());
        Tokenizer tok = engine.tokenizer();
        String content = p.string("content", null);
        if (content == null) throw ApiException.invalid("content", "'content' is required");
        if (content.length() > maxPromptChars) throw ChatMessages.promptTooLong(maxPromptChars);
        boolean addSpecial = p.bool("add_special", false);
        boolean withPieces = p.bool("with_pieces", false);
        int[] ids = p.bool("parse_special", false) ? tok.encodeWithSpecial(content) : tok.encode(content);
        ObjectNode o = Json.object();
        ArrayNode tokens = o.putArray("tokens");
        if (addSpecial) addToken(tokens, tok, tok.bosId(), withPieces);
        for (int id : ids) addToken(tokens, tok, id, withPieces);
        return o;
    }

    private static void addToken(ArrayNode tokens, Tokenizer tok, int id, boolean withPieces) {
        if (!withPieces) {
            tokens.add(id);
            return;
        }
        ObjectNode t = tokens.addObject();
        t.put("id", id);
        t.put("piece", tok.isControl(id) ? tok.tokenText(id) : Logprobs.text(tok, id));
    }

    /** llama.cpp's POST /detokenize: {"tokens": [...]} → {"content": "..."}; control tokens are not shown. */
    static ObjectNode detokenize(ObjectNode body, Engine engine) {
        Params p = Params.of(body);
        p.allowOnly(Set.of("tokens", "model"), Set.of());
        checkModel(p, engine.models());
        Tokenizer tok = engine.tokenizer();
        List<JsonNode> tokens = p.array("tokens");
        if (tokens == null) throw ApiException.invalid("tokens", "'tokens' is required");
        int vocab = tok.vocabularySize();
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = tokens.get(i);
            if (!t.canConvertToInt() || !t.isIntegralNumber() || t.asInt() < 0 || t.asInt() >= vocab) {
                throw ApiException.invalid("tokens[" + i + "]", "'tokens[" + i + "]' must be a token id in [0, " + vocab + ")");
            }
            ids[i] = t.asInt();
        }
        ObjectNode o = Json.object();
        o.put("content", tok.decode(Arrays.stream(ids).filter(id -> !tok.isControl(id)).toArray()));
        return o;
    }

    private static void checkModel(Params p, ServedModels models) {
        String model = p.string("model", null);
        if (models.find(model) == null) throw ApiException.modelNotFound(model);
    }

    /** True when text/html ranks above text/plain and the wildcards in the Accept header (q-values honoured). */
    static boolean prefersHtml(String accept) {
        if (accept == null) return false;
        double html = -1, other = -1;
        for (String part : accept.split(",")) {
            String[] f = part.strip().split(";");
            String type = f[0].strip().toLowerCase(Locale.ROOT);
            double q = 1;
            for (int i = 1; i < f.length; i++) {
                String a = f[i].strip();
                if (a.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(a.substring(2));
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            if (type.equals("text/html") || type.equals("application/xhtml+xml")) html = Math.max(html, q);
            else other = Math.max(other, q);
        }
        return html > 0 && html >= other;
    }
}
