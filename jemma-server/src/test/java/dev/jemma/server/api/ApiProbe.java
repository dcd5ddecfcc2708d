package dev.jemma.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.server.engine.Engine;
import dev.jemma.tools.ToolChoice;

import java.util.List;
import java.util.function.BooleanSupplier;

/** Test access to package-private API parts for the tests in dev.jemma.server. */
public final class ApiProbe {
    private ApiProbe() {}

    /** The prompt ids of an OpenAI conversation (no tools, no format), as /v1/chat/completions renders it. */
    public static int[] chatPromptIds(Engine engine, List<JsonNode> openAiMessages) {
        var messages = ChatMessages.openAi(openAiMessages, 1 << 20);
        return ChatPrompt.build(engine, messages, List.of(), ToolChoice.NONE, null, true).ids();
    }

    /** Submits a request nobody reads, buffering at most {@code capacity} tokens; says whether it overflowed. */
    public static BooleanSupplier submitUnread(Engine engine, GenerationRequest request, int capacity) {
        Generation g = new Generation(capacity, () -> { });
        g.submit(engine, List.of(request));
        return g::overflowed;
    }
}
