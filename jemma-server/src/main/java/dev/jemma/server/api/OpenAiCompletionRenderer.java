package dev.jemma.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.TokenEvent;
import dev.jemma.server.http.Json;
import dev.jemma.server.http.StreamWriter;
import dev.jemma.tokenizer.Tokenizer;

import java.io.IOException;
import java.util.List;

/**
 * /v1/completions responses (text_completion objects, whole or streamed) with the legacy log-probabilities:
 * {tokens, token_logprobs, top_logprobs[{token: logprob}], text_offset}.
 */
final class OpenAiCompletionRenderer extends OpenAiRenderer {
    private static final String OBJECT = "text_completion";

    OpenAiCompletionRenderer(GenerationPlan plan, Tokenizer tok, String requestId) {
        super(plan, tok, "cmpl-" + requestId, OBJECT);
    }

    @Override
    public void token(StreamWriter w, int choice, TokenEvent e) throws IOException {
        boolean lp = plan.logprobs() && e.tokenId() >= 0;
        if (e.text().isEmpty() && !lp) return;
        ObjectNode o = envelope.start(OBJECT);
        choice(o, choice, e.text(), lp ? logprobs(List.of(e)) : null, null);
        w.event(o.toString());
    }

    @Override
    public void end(StreamWriter w, int choice, GenerationResult r) throws IOException {
        ObjectNode o = envelope.start(OBJECT);
        choice(o, choice, "", null, r.finishReason().apiName());
        w.event(o.toString());
    }

    @Override
    public ObjectNode body(GenerationResult[] results, List<List<TokenEvent>> tokens) {
        ObjectNode o = envelope.start(OBJECT);
        for (int i = 0; i < results.length; i++) {
            choice(o, i, results[i].text(), plan.logprobs() ? logprobs(tokens.get(i)) : null, results[i].finishReason().apiName());
        }
        OpenAiEnvelope.usage(o, results);
        return o;
    }

    /** Appends {text, index, logprobs, finish_reason} to the choices. */
    private static void choice(ObjectNode o, int index, String text, ObjectNode logprobs, String finish) {
        ArrayNode choices = o.has("choices") ? (ArrayNode) o.get("choices") : o.putArray("choices");
        ObjectNode c = choices.addObject();
        c.put("text", text);
        c.put("index", index);
        if (logprobs == null) c.putNull("logprobs"); else c.set("logprobs", logprobs);
        c.put("finish_reason", finish);
    }

    private ObjectNode logprobs(List<TokenEvent> events) {
        ObjectNode lp = Json.object();
        ArrayNode tokens = lp.putArray("tokens"), values = lp.putArray("token_logprobs"), top = lp.putArray("top_logprobs"),
                offsets = lp.putArray("text_offset");
        int offset = 0;
        for (TokenEvent e : events) {
            if (e.tokenId() < 0) continue;
            String t = Logprobs.text(tok, e.tokenId());
            tokens.add(t);
            values.add(e.logprob());
            ObjectNode alt = top.addObject();
            for (int i = 0; i < e.topIds().length; i++) alt.put(Logprobs.text(tok, e.topIds()[i]), e.topLogprobs()[i]);
            offsets.add(offset);
            offset += t.length();
        }
        return lp;
    }
}
