package dev.jemma.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** /api/chat responses: the answer as message {role, content, tool_calls with arguments as objects}. */
final class OllamaChatRenderer extends OllamaRenderer {
    OllamaChatRenderer(GenerationPlan plan) {
        super(plan);
    }

    @Override
    void answer(ObjectNode line, Answer a) {
        ObjectNode msg = line.putObject("message");
        msg.put("role", "assistant");
        msg.put("content", a.hasCalls() ? "" : a.content());
        if (a.hasCalls()) msg.set("tool_calls", ToolCallsJson.ollama(a.calls()));
    }
}
