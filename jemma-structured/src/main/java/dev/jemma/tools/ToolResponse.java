package dev.jemma.tools;

import java.util.List;

/** What the model answered: text (content), or tool calls (content null). */
public record ToolResponse(String content, List<ToolCall> toolCalls) {
    public boolean hasToolCalls() {
        return !toolCalls.isEmpty();
    }
}
