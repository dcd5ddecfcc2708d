package dev.jemma.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.server.http.Json;
import dev.jemma.tools.ToolCall;

import java.io.IOException;
import java.util.List;

/** tool_calls arrays as each API writes them, for streamed and whole answers alike. */
final class ToolCallsJson {
    private ToolCallsJson() {}

    /**
     * OpenAI's: {id, type, function: {name, arguments}} with arguments a JSON string; in a streamed delta each
     * call also carries its index ({@code indexed}).
     */
    static ArrayNode openAi(List<ToolCall> calls, boolean indexed) {
        ArrayNode out = Json.OUT.createArrayNode();
        for (int k = 0; k < calls.size(); k++) {
            ToolCall call = calls.get(k);
            ObjectNode tc = out.addObject();
            if (indexed) tc.put("index", k);
            tc.put("id", call.id());
            tc.put("type", "function");
            tc.putObject("function").put("name", call.name()).put("arguments", call.arguments());
        }
        return out;
    }

    /** Ollama's: {function: {index, name, arguments}} with arguments a JSON object. */
    static ArrayNode ollama(List<ToolCall> calls) {
        ArrayNode out = Json.OUT.createArrayNode();
        for (int k = 0; k < calls.size(); k++) {
            ToolCall call = calls.get(k);
            ObjectNode f = out.addObject().putObject("function");
            f.put("index", k);
            f.put("name", call.name());
            try {
                f.set("arguments", Json.OUT.readTree(call.arguments()));
            } catch (IOException e) {
                f.putObject("arguments"); // the constrained envelope always holds an object; never reached
            }
        }
        return out;
    }
}
