package dev.jemma.server.api;

import dev.jemma.generate.GenerationResult;
import dev.jemma.tools.ToolCall;
import dev.jemma.tools.ToolCalling;
import dev.jemma.tools.ToolResponse;

import java.util.List;

/**
 * What a chat choice answered: tool calls, when tools were offered and the model called them, or text. Read
 * from the whole text once the choice ended, for streams and bodies alike (a tool-call envelope is only
 * meaningful whole, so a streamed answer with tools is sent when it ends).
 */
record Answer(String content, List<ToolCall> calls) {

    static Answer of(GenerationResult r, ToolCalling tools) {
        if (tools == null) return new Answer(r.text(), List.of());
        ToolResponse tr = tools.parse(r.text());
        return tr.hasToolCalls() ? new Answer(null, tr.toolCalls()) : new Answer(tr.content(), List.of());
    }

    boolean hasCalls() {
        return !calls.isEmpty();
    }
}
