package dev.jemma.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Set;

/** Health, readiness, metrics, the model list, tokenization and the root page. None of them waits on the model. */
final class Utility {
    private final JemmaServer server;

    Utility(JemmaServer server) {
        this.server = server;
    }

    /** Liveness: the process serves HTTP. Always 200 and public. */
    void health(Exchange ex) throws IOException {
        ObjectNode o = Json.object();
        o.put("status", "ok");
        server.sendJson(ex, 200, o);
    }

    /** Readiness: 200 once the model is loaded; 503 while loading or draining. */
    void ready(Exchange ex) throws IOException {
        JemmaServer.State s = server.state();
        if (s != JemmaServer.State.READY) {
            String msg = s == JemmaServer.State.LOADING ? "Loading model" : "the server is shutting down";
            throw ApiException.overloaded(msg, s == JemmaServer.State.LOADING ? 5 : 30);
        }
        ObjectNode o = Json.object();
        o.put("status", "ready");
        server.sendJson(ex, 200, o);
    }

    void metrics(Exchange ex) throws IOException {
        server.send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", JemmaServer.utf8(Metrics.render(server)));
    }

    void models(Exchange ex) throws IOException {
        ServedModel m = server.model();
        ObjectNode o = Json.object();
        o.put("object", "list");
        o.putArray("data").add(modelEntry(m));
        server.sendJson(ex, 200, o);
    }

    void model(Exchange ex, String id) throws IOException {
        ServedModel m = server.model();
        if (!m.answersTo(id) || id.isEmpty()) throw ApiException.modelNotFound(id);
        server.sendJson(ex, 200, modelEntry(m));
    }

    private static ObjectNode modelEntry(ServedModel m) {
        ObjectNode e = Json.object();
        e.put("id", m.id);
        e.put("object", "model");
        e.put("created", m.created);
        e.put("owned_by", "jemma");
        ObjectNode meta = e.putObject("meta");
        meta.put("n_ctx_train", m.model.config.contextLength());
        meta.put("n_ctx", m.ctx);
        meta.put("n_params", m.parameters);
        meta.put("n_vocab", m.tok.vocabularySize());
        meta.put("size", m.model.file.fileSize());
        return e;
    }

    /**
     * llama.cpp's POST /tokenize: {"content", "add_special", "with_pieces", "parse_special"} → {"tokens": [...]}.
     * Unlike llama.cpp, parse_special defaults to false: text stays text unless the caller asks.
     */
    void tokenize(Exchange ex, ObjectNode body) throws IOException {
        ServedModel m = server.model();
        Params p = Params.of(body);
        p.allowOnly(Set.of("content", "add_special", "with_pieces", "parse_special", "model"), Set.of());
        m.checkModel(p.string("model", null));
        String content = p.string("content", null);
        if (content == null) throw ApiException.invalid("content", "'content' is required");
        if (content.length() > server.config.maxPromptChars()) throw ChatMessages.promptTooLong(server.config.maxPromptChars());
        boolean addSpecial = p.bool("add_special", false);
        boolean withPieces = p.bool("with_pieces", false);
        int[] ids = p.bool("parse_special", false) ? m.tok.encodeWithSpecial(content) : m.tok.encode(content);
        ObjectNode o = Json.object();
        ArrayNode tokens = o.putArray("tokens");
        if (addSpecial) addToken(tokens, m, m.tok.bosId(), withPieces);
        for (int id : ids) addToken(tokens, m, id, withPieces);
        server.sendJson(ex, 200, o);
    }

    private static void addToken(ArrayNode tokens, ServedModel m, int id, boolean withPieces) {
        if (!withPieces) {
            tokens.add(id);
            return;
        }
        ObjectNode t = tokens.addObject();
        t.put("id", id);
        t.put("piece", m.tok.isControl(id) ? m.tok.tokenText(id) : Logprobs.text(m.tok, id));
    }

    /** llama.cpp's POST /detokenize: {"tokens": [...]} → {"content": "..."}; control tokens are not shown. */
    void detokenize(Exchange ex, ObjectNode body) throws IOException {
        ServedModel m = server.model();
        Params p = Params.of(body);
        p.allowOnly(Set.of("tokens", "model"), Set.of());
        m.checkModel(p.string("model", null));
        List<JsonNode> tokens = p.array("tokens");
        if (tokens == null) throw ApiException.invalid("tokens", "'tokens' is required");
        int vocab = m.tok.vocabularySize();
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = tokens.get(i);
            if (!t.canConvertToInt() || !t.isIntegralNumber() || t.asInt() < 0 || t.asInt() >= vocab) {
                throw ApiException.invalid("tokens[" + i + "]", "'tokens[" + i + "]' must be a token id in [0, " + vocab + ")");
            }
            ids[i] = t.asInt();
        }
        ObjectNode o = Json.object();
        o.put("content", m.tok.decode(java.util.Arrays.stream(ids).filter(id -> !m.tok.isControl(id)).toArray()));
        server.sendJson(ex, 200, o);
    }

    /**
     * GET/HEAD /: "Ollama is running" (clients use it as a liveness probe), or the web chat page when the client
     * prefers HTML (a browser).
     */
    void root(Exchange ex) throws IOException {
        if (prefersHtml(ex.header("Accept"))) {
            server.send(ex, 200, "text/html; charset=utf-8", WebPage.html());
            return;
        }
        server.send(ex, 200, "text/plain; charset=utf-8", JemmaServer.utf8("Ollama is running"));
    }

    /** True when text/html ranks above text/plain and the wildcards in the Accept header (q-values honoured). */
    static boolean prefersHtml(String accept) {
        if (accept == null) return false;
        double html = -1, other = -1;
        for (String part : accept.split(",")) {
            String[] f = part.strip().split(";");
            String type = f[0].strip().toLowerCase(java.util.Locale.ROOT);
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

    /** The web chat page from the classpath, or a placeholder while it is not built in. */
    static final class WebPage {
        private static volatile byte[] cached;

        static byte[] html() throws IOException {
            byte[] b = cached;
            if (b != null) return b;
            try (InputStream in = Utility.class.getResourceAsStream("/dev/jemma/server/web/index.html")) {
                b = in != null ? in.readAllBytes() : JemmaServer.utf8("<!doctype html><html><head><meta charset=\"utf-8\"><title>Jemma</title></head>"
                        + "<body><h1>Jemma</h1><p>The web chat is not part of this build. The API is at <code>/v1/chat/completions</code>.</p></body></html>");
            }
            cached = b;
            return b;
        }
    }
}
