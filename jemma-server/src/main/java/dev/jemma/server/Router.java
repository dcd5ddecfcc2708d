package dev.jemma.server;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Path and method to handler: unknown paths are a 404 JSON error, a known path with another method a 405. */
final class Router {
    @FunctionalInterface
    interface Route {
        void serve(Exchange ex, String requestId) throws IOException;
    }

    private final Map<String, Map<String, Route>> routes = new LinkedHashMap<>();
    private final JemmaServer server;
    private final ChatCompletions chat;
    private final Completions completions;
    private final OllamaApi ollama;
    private final Utility utility;

    Router(JemmaServer server) {
        this.server = server;
        this.chat = new ChatCompletions(server);
        this.completions = new Completions(server);
        this.ollama = new OllamaApi(server);
        this.utility = new Utility(server);
        add("GET", "/health", (ex, id) -> utility.health(ex));
        add("GET", "/ready", (ex, id) -> utility.ready(ex));
        add("GET", "/metrics", (ex, id) -> utility.metrics(ex));
        add("GET", "/v1/models", (ex, id) -> utility.models(ex));
        add("POST", "/v1/chat/completions", (ex, id) -> chat.handle(ex, body(ex), id));
        add("POST", "/v1/completions", (ex, id) -> completions.handle(ex, body(ex), id));
        add("POST", "/tokenize", (ex, id) -> utility.tokenize(ex, body(ex)));
        add("POST", "/detokenize", (ex, id) -> utility.detokenize(ex, body(ex)));
        add("GET", "/", (ex, id) -> utility.root(ex));
        add("HEAD", "/", (ex, id) -> utility.root(ex));
        add("GET", "/api/version", (ex, id) -> ollama.version(ex));
        add("GET", "/api/tags", (ex, id) -> ollama.tags(ex));
        add("GET", "/api/ps", (ex, id) -> ollama.ps(ex));
        add("POST", "/api/show", (ex, id) -> ollama.show(ex, body(ex)));
        add("POST", "/api/chat", (ex, id) -> ollama.chat(ex, body(ex), id));
        add("POST", "/api/generate", (ex, id) -> ollama.generate(ex, body(ex), id));
    }

    private void add(String method, String path, Route r) {
        routes.computeIfAbsent(path, k -> new LinkedHashMap<>()).put(method, r);
    }

    private ObjectNode body(Exchange ex) throws IOException {
        return Json.parseObject(server.readBody(ex));
    }

    void route(Exchange ex, String path, String requestId) throws IOException {
        if (path.startsWith("/v1/models/")) {
            if (!ex.method().equals("GET")) throw notAllowed("GET");
            utility.model(ex, URLDecoder.decode(path.substring("/v1/models/".length()), StandardCharsets.UTF_8));
            return;
        }
        Map<String, Route> byMethod = routes.get(path);
        if (byMethod == null) throw ApiException.notFound("no endpoint " + path + "; see README \"jemma serve\" for the API");
        Route r = byMethod.get(ex.method());
        if (r == null) throw notAllowed(String.join(", ", byMethod.keySet()));
        r.serve(ex, requestId);
    }

    private static ApiException notAllowed(String allow) {
        ApiException e = new ApiException(405, "invalid_request_error", null, "method_not_allowed", "method not allowed here; use " + allow);
        e.extra.put("allow", allow);
        return e;
    }

}
