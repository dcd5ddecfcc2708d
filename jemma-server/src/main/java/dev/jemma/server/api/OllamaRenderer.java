package dev.jemma.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.TokenEvent;
import dev.jemma.server.http.Json;
import dev.jemma.server.http.StreamWriter;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * Ollama's responses: NDJSON lines (done:false … done:true) or one object, durations in nanoseconds, errors as
 * {"error": "..."}. Chat and generate differ only in where the answer goes ({@link #answer}).
 */
abstract class OllamaRenderer implements Renderer {
    final GenerationPlan plan;
    private final long t0 = System.nanoTime();

    OllamaRenderer(GenerationPlan plan) {
        this.plan = plan;
    }

    /** Puts the answer (or a streamed piece of it) into a response line. */
    abstract void answer(ObjectNode line, Answer a);

    @Override
    public boolean sse() {
        return false;
    }

    @Override
    public void token(StreamWriter w, int choice, TokenEvent e) throws IOException {
        if (plan.tools() != null || e.text().isEmpty()) return; // with tools the answer is sent whole at the end
        w.event(line(new Answer(e.text(), List.of())).toString());
    }

    @Override
    public void end(StreamWriter w, int choice, GenerationResult r) throws IOException {
        if (plan.tools() != null) w.event(line(Answer.of(r, plan.tools())).toString());
        w.event(done(line(new Answer("", List.of())), r).toString());
    }

    @Override
    public void close(StreamWriter w, GenerationResult[] results) {
        // NDJSON has no end marker: the done:true line ends the stream
    }

    @Override
    public void error(StreamWriter w, GenerationFailure f) throws IOException {
        ObjectNode err = Json.object();
        err.put("error", f.message());
        w.event(err.toString());
    }

    @Override
    public ObjectNode body(GenerationResult[] results, List<List<TokenEvent>> tokens) {
        return done(line(Answer.of(results[0], plan.tools())), results[0]);
    }

    private ObjectNode line(Answer a) {
        ObjectNode o = Json.object();
        o.put("model", plan.model());
        o.put("created_at", Instant.now().toString());
        answer(o, a);
        o.put("done", false);
        return o;
    }

    /** The last line: done, why, token counts and durations. */
    private ObjectNode done(ObjectNode o, GenerationResult r) {
        o.put("done", true);
        o.put("done_reason", r.finishReason().apiName());
        o.put("total_duration", System.nanoTime() - t0);
        o.put("load_duration", 0);
        o.put("prompt_eval_count", r.promptTokens());
        o.put("prompt_eval_duration", r.prefillNanos());
        o.put("eval_count", r.generatedTokens());
        o.put("eval_duration", r.decodeNanos());
        return o;
    }
}
