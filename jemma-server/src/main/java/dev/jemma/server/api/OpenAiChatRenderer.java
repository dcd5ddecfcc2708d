package dev.jemma.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.TokenEvent;
import dev.jemma.server.http.StreamWriter;
import dev.jemma.tokenizer.Tokenizer;

import java.io.IOException;
import java.util.List;

/**
 * /v1/chat/completions responses: chat.completion bodies and chat.completion.chunk streams. Each streamed choice
 * opens with its role; with tools the answer comes whole when the choice ends, as content or as tool_calls with
 * finish_reason "tool_calls".
 */
final class OpenAiChatRenderer extends OpenAiRenderer {
    OpenAiChatRenderer(GenerationPlan plan, Tokenizer tok, String requestId) {
        super(plan, tok, "chatcmpl-" + requestId, "chat.completion.chunk");
    }

    @Override
    public void open(StreamWriter w) throws IOException {
        for (int i = 0; i < plan.n(); i++) {
            ObjectNode c = chunk(i);
            delta(c).put("role", "assistant").put("content", "");
            w.event(c.toString());
        }
    }

    @Override
    public void token(StreamWriter w, int choice, TokenEvent e) throws IOException {
        if (plan.tools() != null) return; // sent whole at the end
        boolean lp = plan.logprobs() && e.tokenId() >= 0;
        if (e.text().isEmpty() && !lp) return;
        ObjectNode c = chunk(choice);
        delta(c).put("content", e.text());
        if (lp) choice(c).putObject("logprobs").putArray("content").add(Logprobs.entry(tok, e));
        w.event(c.toString());
    }

    @Override
    public void end(StreamWriter w, int choice, GenerationResult r) throws IOException {
        Answer a = Answer.of(r, plan.tools());
        if (plan.tools() != null) {
            ObjectNode c = chunk(choice);
            if (a.hasCalls()) delta(c).set("tool_calls", ToolCallsJson.openAi(a.calls(), true));
            else delta(c).put("content", a.content());
            w.event(c.toString());
        }
        ObjectNode c = chunk(choice);
        choice(c).put("finish_reason", finishReason(r, a));
        w.event(c.toString());
    }

    @Override
    public ObjectNode body(GenerationResult[] results, List<List<TokenEvent>> tokens) {
        ObjectNode o = envelope.start("chat.completion");
        ArrayNode choices = o.putArray("choices");
        for (int i = 0; i < results.length; i++) {
            GenerationResult r = results[i];
            Answer a = Answer.of(r, plan.tools());
            ObjectNode c = choices.addObject();
            c.put("index", i);
            ObjectNode msg = c.putObject("message");
            msg.put("role", "assistant");
            msg.put("content", a.content());
            if (a.hasCalls()) msg.set("tool_calls", ToolCallsJson.openAi(a.calls(), false));
            msg.putNull("refusal");
            if (plan.logprobs()) {
                ArrayNode content = c.putObject("logprobs").putArray("content");
                for (TokenEvent e : tokens.get(i)) if (e.tokenId() >= 0) content.add(Logprobs.entry(tok, e));
            } else {
                c.putNull("logprobs");
            }
            c.put("finish_reason", finishReason(r, a));
        }
        OpenAiEnvelope.usage(o, results);
        return o;
    }

    /** "tool_calls" when the model called tools and stopped by itself; else the result's own reason. */
    private static String finishReason(GenerationResult r, Answer a) {
        String finish = r.finishReason().apiName();
        return a.hasCalls() && finish.equals("stop") ? "tool_calls" : finish;
    }

    private ObjectNode chunk(int index) {
        ObjectNode c = envelope.start(chunkObject);
        ObjectNode ch = c.putArray("choices").addObject();
        ch.put("index", index);
        ch.putObject("delta");
        ch.putNull("logprobs");
        ch.putNull("finish_reason");
        return c;
    }

    private static ObjectNode choice(ObjectNode chunk) {
        return (ObjectNode) chunk.get("choices").get(0);
    }

    private static ObjectNode delta(ObjectNode chunk) {
        return (ObjectNode) choice(chunk).get("delta");
    }
}
