package dev.jemma.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Streaming equals non-streaming (docs/RELIABILITY.md, "Output"), SSE and NDJSON shapes, and the small endpoints. */
class StreamingTest extends SharedServerTest {
    @Test
    void streamedDeltasEqualWholeContentAndUsageComesBeforeDone() throws Exception {
        String body = TestServer.chat("Name three fruits.", 12, "\"seed\":7").replace("\"temperature\":0", "\"temperature\":0.8");
        JsonNode whole = TestServer.json(s.post("/v1/chat/completions", body).body());
        HttpResponse<String> r = s.post("/v1/chat/completions", body.replace("\"seed\":7", "\"seed\":7,\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElse(""));
        assertEquals(whole.at("/choices/0/message/content").asText(), TestServer.streamedText(r.body()));
        List<String> ev = TestServer.events(r.body());
        assertEquals("[DONE]", ev.get(ev.size() - 1));
        JsonNode usage = TestServer.json(ev.get(ev.size() - 2));
        assertEquals(0, usage.get("choices").size());
        assertEquals(whole.at("/usage/completion_tokens").asInt(), usage.at("/usage/completion_tokens").asInt());
        assertEquals(whole.at("/usage/prompt_tokens").asInt(), usage.at("/usage/prompt_tokens").asInt());
        JsonNode first = TestServer.json(ev.get(0));
        assertEquals("assistant", first.at("/choices/0/delta/role").asText());
        assertEquals("chat.completion.chunk", first.path("object").asText());
        JsonNode fin = TestServer.json(ev.get(ev.size() - 3));
        assertEquals(whole.at("/choices/0/finish_reason").asText(), fin.at("/choices/0/finish_reason").asText());
    }

    @Test
    void completionsDefaultTo16TokensAndStreamTheSame() throws Exception {
        JsonNode r = TestServer.json(s.post("/v1/completions", "{\"prompt\":\"The capital of France is\",\"temperature\":0}").body());
        assertEquals("text_completion", r.path("object").asText());
        assertTrue(r.at("/usage/completion_tokens").asInt() <= 16);
        String streamed = s.post("/v1/completions", "{\"prompt\":\"The capital of France is\",\"temperature\":0,\"stream\":true}").body();
        StringBuilder sb = new StringBuilder();
        for (String e : TestServer.events(streamed)) if (!e.equals("[DONE]")) sb.append(TestServer.json(e).at("/choices/0/text").asText());
        assertEquals(r.at("/choices/0/text").asText(), sb.toString());
    }

    @Test
    void ollamaChatStreamsNdjsonEqualToWhole() throws Exception {
        String body = "{\"model\":\"gemma3-test\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}],\"options\":{\"temperature\":0,\"num_predict\":8}";
        JsonNode whole = TestServer.json(s.post("/api/chat", body + ",\"stream\":false}").body());
        assertTrue(whole.path("done").asBoolean());
        assertTrue(whole.path("eval_count").asInt() > 0 && whole.path("eval_duration").asLong() > 0);
        HttpResponse<String> r = s.post("/api/chat", body + "}");
        assertEquals("application/x-ndjson", r.headers().firstValue("Content-Type").orElse(""));
        StringBuilder sb = new StringBuilder();
        JsonNode last = null;
        for (String line : r.body().split("\n")) {
            last = TestServer.json(line);
            sb.append(last.at("/message/content").asText());
        }
        assertEquals(whole.at("/message/content").asText(), sb.toString());
        assertTrue(last.path("done").asBoolean());
        assertEquals(whole.path("done_reason").asText(), last.path("done_reason").asText());
        JsonNode gen = TestServer.json(s.post("/api/generate", "{\"model\":\"gemma3-test:latest\",\"prompt\":\"Say hello.\",\"stream\":false,\"format\":\"json\",\"options\":{\"temperature\":0,\"num_predict\":12}}").body());
        assertTrue(gen.path("response").asText().startsWith("{"), gen.toString());
        assertEquals(400, s.post("/api/generate", "{\"model\":\"gemma3-test\",\"prompt\":\"x\",\"options\":{\"mirostat\":1}}").statusCode());
    }

    @Test
    void ollamaToolCallsHaveObjectArguments() throws Exception {
        String tools = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"enum\":[\"Paris\",\"Rome\"]}},\"required\":[\"city\"]}}}]";
        JsonNode r = TestServer.json(s.post("/api/chat", "{\"model\":\"gemma3-test\",\"stream\":false,\"tools\":" + tools
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Call get_weather for Paris.\"}],\"options\":{\"temperature\":0,\"num_predict\":40}}").body());
        JsonNode calls = r.at("/message/tool_calls");
        if (calls.size() > 0) assertTrue(calls.get(0).at("/function/arguments").isObject(), r.toString());
        else assertTrue(r.at("/message/content").isTextual(), r.toString());
    }

    @Test
    void smallEndpoints() throws Exception {
        assertEquals("Ollama is running", s.get("/").body());
        HttpResponse<String> html = s.get("/", "Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        assertTrue(html.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(html.body().contains("<html") || html.body().contains("<!doctype") || html.body().contains("<!DOCTYPE"));
        assertEquals(200, s.call("HEAD", "/", null).statusCode());
        assertEquals("ok", TestServer.json(s.get("/health").body()).path("status").asText());
        assertEquals(200, s.get("/ready").statusCode());
        assertTrue(TestServer.json(s.get("/api/version").body()).path("version").isTextual());
        JsonNode tags = TestServer.json(s.get("/api/tags").body());
        assertEquals("gemma3", tags.at("/models/0/details/family").asText());
        JsonNode show = TestServer.json(s.post("/api/show", "{\"model\":\"gemma3-test\"}").body());
        assertEquals(1024 * 32, show.at("/model_info/gemma3.context_length").asInt());
        assertTrue(show.path("capabilities").toString().contains("tools"));
        assertEquals(1024, TestServer.json(s.get("/api/ps").body()).at("/models/0/context_length").asInt());
        JsonNode models = TestServer.json(s.get("/v1/models").body());
        assertEquals("gemma3-test", models.at("/data/0/id").asText());
        String metrics = s.get("/metrics").body();
        for (String name : List.of("jemma:prompt_tokens_total", "jemma:tokens_predicted_total", "jemma:requests_processing",
                "jemma:requests_deferred", "jemma:n_decode_total", "jemma:n_busy_slots_per_decode")) {
            assertTrue(metrics.contains("\n" + name + " ") || metrics.startsWith("# HELP " + name.substring(0)), name);
        }
        JsonNode tok = TestServer.json(s.post("/tokenize", "{\"content\":\"Hello world\",\"add_special\":true,\"with_pieces\":true}").body());
        assertEquals(2, tok.at("/tokens/0/id").asInt());
        StringBuilder ids = new StringBuilder();
        for (JsonNode t : tok.get("tokens")) ids.append(ids.isEmpty() ? "" : ",").append(t.path("id").asInt());
        assertEquals("Hello world", TestServer.json(s.post("/detokenize", "{\"tokens\":[" + ids + "]}").body()).path("content").asText());
        assertEquals(400, s.post("/detokenize", "{\"tokens\":[99999999]}").statusCode());
    }
}
