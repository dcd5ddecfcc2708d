package dev.jemma.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.server.http.Json;

import java.time.Instant;

/** /api/generate responses: the answer as plain "response" text. */
final class OllamaGenerateRenderer extends OllamaRenderer {
    OllamaGenerateRenderer(GenerationPlan plan) {
        super(plan);
    }

    @Override
    void answer(ObjectNode line, Answer a) {
        line.put("response", a.content());
    }

    /** Ollama's reply to a preload (an empty prompt): at once, done_reason "load". */
    static ObjectNode loaded(String model) {
        ObjectNode o = Json.object();
        o.put("model", model);
        o.put("created_at", Instant.now().toString());
        o.put("response", "");
        o.put("done", true);
        o.put("done_reason", "load");
        return o;
    }
}
