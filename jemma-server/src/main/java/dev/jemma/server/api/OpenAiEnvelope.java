package dev.jemma.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.generate.GenerationResult;
import dev.jemma.server.http.Json;
import dev.jemma.server.http.StreamWriter;

import java.io.IOException;

/**
 * What OpenAI responses share: the header fields of a body or chunk, usage, llama.cpp's timings and the error
 * event of a stream, written the same for chat and text completions.
 */
final class OpenAiEnvelope {
    static final String FINGERPRINT = "jemma-0.1.0";

    private final String id;
    private final long created = System.currentTimeMillis() / 1000;
    private final String model;

    OpenAiEnvelope(String id, String model) {
        this.id = id;
        this.model = model;
    }

    /** {id, object, created, model, system_fingerprint}. */
    ObjectNode start(String object) {
        ObjectNode o = Json.object();
        o.put("id", id);
        o.put("object", object);
        o.put("created", created);
        o.put("model", model);
        o.put("system_fingerprint", FINGERPRINT);
        return o;
    }

    /** Adds usage (prompt counted once, completions summed over the choices) and timings. */
    static void usage(ObjectNode o, GenerationResult[] results) {
        GenerationResult first = results[0];
        int completion = 0;
        for (GenerationResult r : results) completion += r.generatedTokens();
        ObjectNode u = o.putObject("usage");
        u.put("prompt_tokens", first.promptTokens());
        u.put("completion_tokens", completion);
        u.put("total_tokens", first.promptTokens() + completion);
        u.putObject("prompt_tokens_details").put("cached_tokens", first.promptTokens() - first.prefilledTokens());
        o.set("timings", timings(results));
    }

    /** The stream's last chunk before [DONE] when stream_options.include_usage: no choices, usage. */
    void usageChunk(StreamWriter w, String object, GenerationResult[] results) throws IOException {
        ObjectNode o = start(object);
        o.putArray("choices");
        usage(o, results);
        w.event(o.toString());
    }

    /** llama.cpp's non-standard timings object (speed numbers users rely on). */
    private static ObjectNode timings(GenerationResult[] results) {
        long promptN = 0, promptNs = 0, predN = 0, predNs = 0, cached = 0;
        for (GenerationResult r : results) {
            promptN += r.prefilledTokens();
            promptNs += r.prefillNanos();
            predN += r.generatedTokens();
            predNs += r.decodeNanos();
            cached += r.promptTokens() - r.prefilledTokens();
        }
        ObjectNode t = Json.object();
        t.put("cache_n", cached);
        t.put("prompt_n", promptN);
        t.put("prompt_ms", promptNs / 1e6);
        t.put("prompt_per_second", promptNs == 0 ? 0 : promptN / (promptNs / 1e9));
        t.put("predicted_n", predN);
        t.put("predicted_ms", predNs / 1e6);
        t.put("predicted_per_second", predNs == 0 ? 0 : predN / (predNs / 1e9));
        return t;
    }

    /**
     * An error once the 200 headers are out: one {@code data: {"error":{...}}} event, then the stream is closed
     * without [DONE] (the same form llama.cpp and vLLM use).
     */
    static void error(StreamWriter w, GenerationFailure f) throws IOException {
        ObjectNode body = Json.object();
        ObjectNode err = body.putObject("error");
        err.put("message", f.message());
        err.put("type", f.type());
        err.put("code", f.status());
        if (f.requestId() != null) err.put("request_id", f.requestId());
        w.event(body.toString());
    }
}
