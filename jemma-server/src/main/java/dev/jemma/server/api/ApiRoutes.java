package dev.jemma.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.server.ServerConfig;
import dev.jemma.server.engine.Engine;
import dev.jemma.server.http.ApiException;
import dev.jemma.server.http.Exchange;
import dev.jemma.server.http.RequestBody;
import dev.jemma.server.http.RequestCounters;
import dev.jemma.server.http.ResponseWriter;
import dev.jemma.server.http.Router;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * The API's endpoints on a router: OpenAI's /v1, the Ollama subset under /api, llama.cpp's tokenizer endpoints,
 * health, readiness and metrics. Every generating endpoint is parse → plan → {@link Drain} → its renderer.
 */
public final class ApiRoutes {
    /** One API's request parser: body to plan (null: nothing to generate). */
    @FunctionalInterface
    private interface Parser {
        GenerationPlan parse(ObjectNode body, Engine engine, ServerConfig config);
    }

    private final Serving serving;
    private final ServerConfig config;
    private final ResponseWriter out;
    private final RequestBody bodies;
    private final RequestCounters counters;
    private final Drain drain;

    public ApiRoutes(Serving serving, ServerConfig config, ResponseWriter out, RequestCounters counters, PrintStream log) {
        this.drain = new Drain(serving, config, out, counters, log);
        this.bodies = new RequestBody(config.maxBodyBytes());
        this.serving = serving;
        this.config = config;
        this.out = out;
        this.counters = counters;
    }

    public void register(Router r) {
        r.add("POST", "/v1/chat/completions", (ex, id) -> generate(ex, id, OpenAiChatRequest::parse,
                plan -> new OpenAiChatRenderer(plan, serving.engine().tokenizer(), id)));
        r.add("POST", "/v1/completions", (ex, id) -> generate(ex, id, OpenAiCompletionRequest::parse,
                plan -> new OpenAiCompletionRenderer(plan, serving.engine().tokenizer(), id)));
        r.add("POST", "/api/chat", (ex, id) -> generate(ex, id, OllamaRequest::chat, OllamaChatRenderer::new));
        r.add("POST", "/api/generate", (ex, id) -> generate(ex, id, OllamaRequest::generate, OllamaGenerateRenderer::new));

        r.add("GET", "/v1/models", (ex, id) -> {
            Engine e = serving.engine();
            out.json(ex, 200, UtilityEndpoints.models(e.models(), e.tokenizer()));
        });
        r.addPrefix("GET", "/v1/models/", (ex, name) -> {
            Engine e = serving.engine();
            var served = name.isEmpty() ? null : e.models().find(name);
            if (served == null) throw ApiException.modelNotFound(name);
            out.json(ex, 200, UtilityEndpoints.model(e.models(), served, e.tokenizer()));
        });
        new AdapterEndpoints(serving, config, out, bodies).register(r);
        r.add("POST", "/tokenize", (ex, id) -> {
            ObjectNode body = bodies.object(ex);
            out.json(ex, 200, UtilityEndpoints.tokenize(body, serving.engine(), config.maxPromptChars()));
        });
        r.add("POST", "/detokenize", (ex, id) -> {
            ObjectNode body = bodies.object(ex);
            out.json(ex, 200, UtilityEndpoints.detokenize(body, serving.engine()));
        });

        r.add("GET", "/api/version", (ex, id) -> out.json(ex, 200, OllamaModelEndpoints.version()));
        r.add("GET", "/api/tags", (ex, id) -> out.json(ex, 200, OllamaModelEndpoints.tags(serving.engine().models())));
        r.add("GET", "/api/ps", (ex, id) -> out.json(ex, 200, OllamaModelEndpoints.ps(serving.engine().models())));
        r.add("POST", "/api/show", (ex, id) -> {
            ObjectNode body = bodies.object(ex);
            out.json(ex, 200, OllamaModelEndpoints.show(body, serving.engine().models()));
        });

        r.add("GET", "/health", (ex, id) -> out.json(ex, 200, UtilityEndpoints.health()));
        r.add("GET", "/ready", (ex, id) -> out.json(ex, 200, UtilityEndpoints.ready(serving.state())));
        r.add("GET", "/metrics", (ex, id) -> out.send(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                utf8(Metrics.render(serving, counters))));
        r.add("GET", "/", (ex, id) -> root(ex));
        r.add("HEAD", "/", (ex, id) -> root(ex));
    }

    private void generate(Exchange ex, String requestId, Parser parser, Function<GenerationPlan, Renderer> renderer)
            throws IOException {
        ObjectNode body = bodies.object(ex);
        Engine engine = serving.engine();
        GenerationPlan plan = parser.parse(body, engine, config);
        if (plan == null) { // Ollama's preload: the model is loaded, nothing to generate
            out.json(ex, 200, OllamaGenerateRenderer.loaded(engine.model().id()));
            return;
        }
        drain.run(ex, plan, renderer.apply(plan), requestId);
    }

    /**
     * GET/HEAD /: "Ollama is running" (clients use it as a liveness probe), or the web chat page when the client
     * prefers HTML (a browser).
     */
    private void root(Exchange ex) throws IOException {
        if (UtilityEndpoints.prefersHtml(ex.header("Accept"))) out.send(ex, 200, "text/html; charset=utf-8", WebPage.html());
        else out.send(ex, 200, "text/plain; charset=utf-8", utf8("Ollama is running"));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
