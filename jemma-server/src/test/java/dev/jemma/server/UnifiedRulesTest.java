package dev.jemma.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rules every API shares since requests go parse → plan → drain → render: one sampling parser (the same
 * value is refused the same way under OpenAI's and Ollama's names), the request's timeout honoured by Ollama
 * too, tool_calls the same streamed and whole, and errors that speak of the request rather than of CLI flags.
 */
class UnifiedRulesTest extends SharedServerTest {
    static final String OLLAMA_CHAT = "{\"model\":\"gemma3-test\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    static String ollamaChat(String options, String extra) {
        return OLLAMA_CHAT + ",\"options\":{" + options + "}" + (extra == null ? "" : "," + extra) + "}";
    }

    static String ollamaGenerate(String options, String extra) {
        return "{\"model\":\"gemma3-test\",\"stream\":false,\"prompt\":\"hi\",\"options\":{" + options + "}"
                + (extra == null ? "" : "," + extra) + "}";
    }

    /** A 400 in Ollama's shape whose message names the field. */
    static void ollamaError(HttpResponse<String> r, String field) throws Exception {
        assertEquals(400, r.statusCode(), r.body());
        String msg = TestServer.json(r.body()).path("error").asText();
        assertTrue(msg.contains(field), field + ": " + msg);
    }

    @Test
    void repeatPenaltyZeroIs400InEveryApi() throws Exception {
        RequestValidationTest.error(s.post("/v1/chat/completions", TestServer.chat("hi", 1, "\"repetition_penalty\":0")), 400, "repetition_penalty");
        RequestValidationTest.error(s.post("/v1/completions", "{\"prompt\":\"hi\",\"max_tokens\":1,\"repetition_penalty\":0}"), 400, "repetition_penalty");
        ollamaError(s.post("/api/chat", ollamaChat("\"repeat_penalty\":0,\"num_predict\":1", null)), "options.repeat_penalty");
        ollamaError(s.post("/api/generate", ollamaGenerate("\"repeat_penalty\":0,\"num_predict\":1", null)), "options.repeat_penalty");
        // 1 is "off" and accepted everywhere
        assertEquals(200, s.post("/v1/chat/completions", TestServer.chat("hi", 1, "\"repetition_penalty\":1")).statusCode());
        assertEquals(200, s.post("/api/chat", ollamaChat("\"repeat_penalty\":1,\"num_predict\":1", null)).statusCode());
    }

    @Test
    void sameRangesUnderBothNames() throws Exception {
        String[][] cases = {
                {"temperature", "temperature", "-1"}, {"top_p", "top_p", "1.5"}, {"top_k", "top_k", "-1"},
                {"min_p", "min_p", "2"}, {"presence_penalty", "presence_penalty", "3"},
                {"frequency_penalty", "frequency_penalty", "-3"}, {"seed", "seed", "18446744073709551616"},
                {"stop", "stop", "[\"a\",\"b\",\"c\",\"d\",\"e\"]"}, {"max_tokens", "num_predict", "0"},
                {"repetition_penalty", "repeat_penalty", "11"},
        };
        for (String[] c : cases) {
            String openAi = TestServer.chat("hi", 1, null).replace("\"max_tokens\":1,", "").replace("\"temperature\":0", "\"" + c[0] + "\":" + c[2]);
            if (!c[0].equals("max_tokens")) openAi = openAi.replace("}]", "}],\"max_tokens\":1");
            RequestValidationTest.error(s.post("/v1/chat/completions", openAi), 400, c[0]);
            ollamaError(s.post("/api/chat", ollamaChat("\"" + c[1] + "\":" + c[2], null)), "options." + c[1]);
        }
    }

    @Test
    void ollamaHonoursTheRequestTimeout() throws Exception {
        assertTrue(s.awaitIdle(30_000));
        long t0 = System.nanoTime();
        HttpResponse<String> r = s.post("/api/chat", OLLAMA_CHAT.replace("hi", "Write a long story about a dragon.")
                + ",\"timeout\":1,\"options\":{\"temperature\":0,\"num_predict\":900}}");
        double secs = (System.nanoTime() - t0) / 1e9;
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = TestServer.json(r.body());
        assertEquals("length", j.path("done_reason").asText(), r.body());
        assertTrue(j.path("eval_count").asInt() < 900, r.body());
        assertTrue(secs < 10, "took " + secs + " s");
        // streamed generate: the last NDJSON line ends with "length" too
        t0 = System.nanoTime();
        String body = s.post("/api/generate", "{\"model\":\"gemma3-test\",\"prompt\":\"Write a long story about a dragon.\","
                + "\"timeout\":1,\"options\":{\"temperature\":0,\"num_predict\":900}}").body();
        assertTrue((System.nanoTime() - t0) / 1e9 < 10);
        String[] lines = body.split("\n");
        JsonNode last = TestServer.json(lines[lines.length - 1]);
        assertTrue(last.path("done").asBoolean(), body);
        assertEquals("length", last.path("done_reason").asText());
        // the same field and range as /v1: (0, the server's timeout]
        ollamaError(s.post("/api/chat", ollamaChat("\"num_predict\":1", "\"timeout\":0")), "timeout");
        ollamaError(s.post("/api/chat", ollamaChat("\"num_predict\":1", "\"timeout\":\"soon\"")), "timeout");
        RequestValidationTest.error(s.post("/v1/chat/completions", TestServer.chat("hi", 1, "\"timeout\":0")), 400, "timeout");
    }

    static JsonNode withoutIds(JsonNode calls) {
        ArrayNode copy = (ArrayNode) calls.deepCopy();
        for (JsonNode c : copy) ((ObjectNode) c).remove(List.of("id", "index"));
        return copy;
    }

    @Test
    void toolCallsAreTheSameStreamedAndWhole() throws Exception {
        String city = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"enum\":[\"Paris\",\"Rome\"]}},\"required\":[\"city\"]}";
        String tools = "[" + RequestValidationTest.tool("get_weather", city) + "]";
        String named = "\"tools\":" + tools + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}";
        String body = TestServer.chat("Weather in Paris?", 40, named);
        JsonNode whole = TestServer.json(s.post("/v1/chat/completions", body).body());
        JsonNode wholeCalls = whole.at("/choices/0/message/tool_calls");
        assertEquals("tool_calls", whole.at("/choices/0/finish_reason").asText(), whole.toString());
        JsonNode streamedCalls = null;
        String finish = null;
        for (String e : TestServer.events(s.post("/v1/chat/completions", TestServer.chat("Weather in Paris?", 40, named + ",\"stream\":true")).body())) {
            if (e.equals("[DONE]")) continue;
            JsonNode ch = TestServer.json(e).at("/choices/0");
            if (ch.path("delta").has("tool_calls")) streamedCalls = ch.at("/delta/tool_calls");
            if (ch.path("finish_reason").isTextual()) finish = ch.path("finish_reason").asText();
        }
        assertNotNull(streamedCalls);
        assertEquals("tool_calls", finish);
        assertEquals(withoutIds(wholeCalls), withoutIds(streamedCalls));
        assertEquals(0, streamedCalls.get(0).path("index").asInt());

        String ollama = "{\"model\":\"gemma3-test\",\"tools\":" + tools + ",\"messages\":[{\"role\":\"user\",\"content\":\"Call get_weather for Paris.\"}],"
                + "\"options\":{\"temperature\":0,\"num_predict\":40}";
        JsonNode o = TestServer.json(s.post("/api/chat", ollama + ",\"stream\":false}").body());
        JsonNode oStreamed = null;
        StringBuilder content = new StringBuilder();
        for (String line : s.post("/api/chat", ollama + "}").body().split("\n")) {
            JsonNode l = TestServer.json(line);
            if (l.at("/message/tool_calls").isArray()) oStreamed = l.at("/message/tool_calls");
            content.append(l.at("/message/content").asText());
        }
        if (o.at("/message/tool_calls").isArray()) assertEquals(o.at("/message/tool_calls"), oStreamed);
        else assertEquals(o.at("/message/content").asText(), content.toString());
    }

    @Test
    void contextErrorsSpeakOfTheRequest() throws Exception {
        String longText = "word ".repeat(3000);
        JsonNode e = RequestValidationTest.error(s.post("/v1/chat/completions", TestServer.chat(longText, 4, null)), 400, "messages");
        String msg = e.path("message").asText();
        assertTrue(msg.contains("the prompt has") && msg.contains("1024"), msg);
        assertFalse(msg.contains("--"), msg);
        HttpResponse<String> o = s.post("/api/generate", "{\"model\":\"gemma3-test\",\"stream\":false,\"prompt\":" + TestServer.quote(longText) + "}");
        assertEquals(400, o.statusCode(), o.body());
        assertFalse(o.body().contains("--"), o.body());
        String cors = s.call("OPTIONS", "/v1/chat/completions", null, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST").body();
        assertFalse(cors.contains("--"), cors);
    }
}
