package dev.jemma.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.generate.FinishReason;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.server.http.ResponseWriter;
import dev.jemma.server.http.StreamWriter;
import dev.jemma.server.http.WriteWatchdog;
import dev.jemma.tools.ToolCalling;
import dev.jemma.tools.ToolChoice;
import dev.jemma.tools.ToolDefinition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The renderers write tool_calls the same in a streamed answer and a whole body (OpenAI: arguments a JSON string,
 * streamed calls carry an index; Ollama: arguments an object), from the same model text, without a model.
 */
class ToolCallsRenderingTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final WriteWatchdog WATCHDOG = new WriteWatchdog(Duration.ofSeconds(5));
    static final String ENVELOPE = "{\"tool_calls\":[{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}},"
            + "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Rome\"}}]}";

    @AfterAll
    static void closeWatchdog() {
        WATCHDOG.close();
    }

    static GenerationPlan plan() throws Exception {
        JsonNode tools = JSON.readTree("[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\","
                + "\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}]");
        ToolCalling tc = ToolCalling.of(ToolDefinition.fromOpenAi(tools), ToolChoice.AUTO);
        return new GenerationPlan(new dev.jemma.server.engine.ServedModels.Choice("gemma3-test", null, null), new int[] {2}, SamplingParams.greedy(8), tc.grammar(), tc, 1, -1, true, true, 0);
    }

    static GenerationResult result(String text) {
        return new GenerationResult(text, new int[] {1, 2, 3}, FinishReason.STOP, 1, 1, 1000, 2000);
    }

    /** Runs a whole stream (open, end, close) through a renderer; returns the events' JSON. */
    static List<JsonNode> stream(Renderer r, GenerationResult result) throws Exception {
        RecordingExchange ex = new RecordingExchange();
        StreamWriter w = new ResponseWriter(WATCHDOG).stream(ex, r.sse());
        r.open(w);
        r.end(w, 0, result);
        r.close(w, new GenerationResult[] {result});
        List<JsonNode> events = new ArrayList<>();
        for (String line : ex.text().split("\n")) {
            String json = line.startsWith("data: ") ? line.substring(6) : line;
            if (!json.isBlank() && !json.equals("[DONE]")) events.add(JSON.readTree(json));
        }
        return events;
    }

    static JsonNode withoutIds(JsonNode calls) {
        ArrayNode copy = (ArrayNode) calls.deepCopy();
        for (JsonNode c : copy) {
            assertTrue(c.path("id").asText().startsWith("call_"), c.toString());
            ((ObjectNode) c).remove(List.of("id", "index"));
        }
        return copy;
    }

    @Test
    void openAiChatStreamAndBodyCarryTheSameCalls() throws Exception {
        GenerationPlan plan = plan();
        GenerationResult r = result(ENVELOPE);
        JsonNode streamed = null, finish = null;
        for (JsonNode e : stream(new OpenAiChatRenderer(plan, null, "req"), r)) {
            JsonNode ch = e.path("choices").path(0);
            if (ch.path("delta").has("tool_calls")) streamed = ch.path("delta").get("tool_calls");
            if (ch.path("finish_reason").isTextual()) finish = ch.get("finish_reason");
        }
        assertNotNull(streamed);
        for (int k = 0; k < streamed.size(); k++) assertEquals(k, streamed.get(k).path("index").asInt());
        JsonNode body = new OpenAiChatRenderer(plan, null, "req").body(new GenerationResult[] {r}, List.of());
        JsonNode whole = body.at("/choices/0/message/tool_calls");
        assertEquals(2, whole.size());
        assertEquals(withoutIds(whole), withoutIds(streamed));
        assertTrue(whole.get(0).at("/function/arguments").isTextual());
        assertEquals("tool_calls", finish.asText());
        assertEquals("tool_calls", body.at("/choices/0/finish_reason").asText());
        assertTrue(body.at("/choices/0/message/content").isNull());
    }

    @Test
    void ollamaChatStreamAndBodyCarryTheSameCalls() throws Exception {
        GenerationPlan plan = plan();
        GenerationResult r = result(ENVELOPE);
        JsonNode streamed = null;
        for (JsonNode line : stream(new OllamaChatRenderer(plan), r)) {
            if (line.at("/message/tool_calls").isArray()) streamed = line.at("/message/tool_calls");
        }
        JsonNode whole = new OllamaChatRenderer(plan).body(new GenerationResult[] {r}, List.of()).at("/message/tool_calls");
        assertNotNull(streamed);
        assertEquals(whole, streamed);
        assertTrue(whole.get(1).at("/function/arguments").isObject());
        assertEquals("Rome", whole.get(1).at("/function/arguments/city").asText());
    }

    @Test
    void plainAnswerWithToolsIsContentInBoth() throws Exception {
        GenerationPlan plan = plan();
        GenerationResult r = result("{\"response\":\"It is sunny.\"}");
        StringBuilder streamed = new StringBuilder();
        for (JsonNode e : stream(new OpenAiChatRenderer(plan, null, "req"), r)) {
            streamed.append(e.at("/choices/0/delta/content").asText(""));
        }
        JsonNode body = new OpenAiChatRenderer(plan, null, "req").body(new GenerationResult[] {r}, List.of());
        assertEquals(body.at("/choices/0/message/content").asText(), streamed.toString());
        assertEquals("It is sunny.", streamed.toString());
        assertEquals("stop", body.at("/choices/0/finish_reason").asText());
    }
}
