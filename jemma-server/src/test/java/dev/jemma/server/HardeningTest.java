package dev.jemma.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Found by an attack on the server: cross-site "simple" requests must not run the model, and no request may
 * generate more than the server's cap, whatever its API lets it ask for.
 */
class HardeningTest extends SharedServerTest {
    static final String CHAT = TestServer.chat("Count from one to fifty.", 4, null);
    static final String GENERATE = "{\"model\":\"gemma3-test\",\"prompt\":\"Count from one to fifty.\",\"stream\":false,"
            + "\"options\":{\"num_predict\":4,\"temperature\":0}}";

    long submitted() {
        return s.engine.metrics().requestsSubmitted();
    }

    @Test
    void crossSiteSimpleRequestsAreRefusedAndRunNothing() throws Exception {
        long before = submitted();
        for (String path : new String[] {"/v1/chat/completions", "/api/generate", "/api/chat", "/v1/completions"}) {
            for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "application/json"}) {
                HttpResponse<String> r = s.post(path, path.startsWith("/api/generate") ? GENERATE : CHAT,
                        "Origin", "https://evil.example", "Content-Type", type);
                assertEquals(403, r.statusCode(), path + " " + type + ": " + r.body());
                assertTrue(r.body().contains("another origin"), r.body());
            }
        }
        HttpResponse<String> nullOrigin = s.post("/v1/chat/completions", CHAT, "Origin", "null", "Content-Type", "text/plain");
        assertEquals(403, nullOrigin.statusCode(), nullOrigin.body());
        assertEquals(before, submitted(), "a refused request never reaches the model");
    }

    @Test
    void aPostBodyMustBeDeclaredJson() throws Exception {
        long before = submitted();
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
            HttpResponse<String> r = s.post("/v1/chat/completions", CHAT, "Content-Type", type);
            assertEquals(415, r.statusCode(), type + ": " + r.body());
            assertTrue(r.body().contains("Content-Type: application/json"), r.body());
        }
        assertEquals(before, submitted());
        assertEquals(200, s.post("/v1/chat/completions", CHAT, "Content-Type", "application/json; charset=utf-8").statusCode());
        assertEquals(200, s.post("/v1/chat/completions", CHAT).statusCode(), "no Content-Type at all: not a browser form");
    }

    @Test
    void theServersOwnPageAndAllowedOriginsStillWork() throws Exception {
        HttpResponse<String> own = s.post("/v1/chat/completions", CHAT, "Origin", "http://127.0.0.1:" + s.port,
                "Content-Type", "application/json");
        assertEquals(200, own.statusCode(), own.body());
        try (TestServer c = new TestServer(cfg -> cfg.withCorsOrigins(java.util.List.of("https://app.example")))) {
            HttpResponse<String> r = c.post("/v1/chat/completions", CHAT, "Origin", "https://app.example", "Content-Type", "application/json");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(403, c.post("/v1/chat/completions", CHAT, "Origin", "https://other.example").statusCode());
        }
    }

    @Test
    void generationIsCappedByTheServerWhateverTheApiAsks() throws Exception {
        int cap = 3;
        try (TestServer c = new TestServer(cfg -> cfg.withMaxTokensLimit(cap))) {
            JsonNode openAi = TestServer.json(c.post("/v1/chat/completions",
                    TestServer.chat("Count from one to fifty.", 1000, null)).body());
            assertEquals("length", openAi.at("/choices/0/finish_reason").asText(), openAi.toString());
            assertEquals(cap, openAi.at("/usage/completion_tokens").asInt(), openAi.toString());
            JsonNode huge = TestServer.json(c.post("/v1/chat/completions",
                    TestServer.chat("Count from one to fifty.", Integer.MAX_VALUE, null).replace(String.valueOf(Integer.MAX_VALUE),
                            "9223372036854775807")).body());
            assertEquals("length", huge.at("/choices/0/finish_reason").asText(), huge.toString());
            assertEquals(cap, huge.at("/usage/completion_tokens").asInt(), huge.toString());
            JsonNode ollama = TestServer.json(c.post("/api/generate", GENERATE.replace("\"num_predict\":4", "\"num_predict\":-1")).body());
            assertEquals("length", ollama.get("done_reason").asText(), ollama.toString());
            assertEquals(cap, ollama.get("eval_count").asInt(), ollama.toString());
        }
    }

    /** RFC 9112 section 3.2: exactly one Host header with a valid value, else 400; then the loopback rule (403). */
    @Test
    void hostHeadersFollowHttp11() throws Exception {
        String two = s.raw("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nConnection: close\r\n\r\n", 10_000);
        assertTrue(two.startsWith("HTTP/1.1 400"), two);
        assertTrue(two.contains("more than one Host"), two);
        String badPort = s.raw("GET /v1/models HTTP/1.1\r\nHost: localhost:99999\r\nConnection: close\r\n\r\n", 10_000);
        assertTrue(badPort.startsWith("HTTP/1.1 400"), badPort);
        String none = s.raw("GET /v1/models HTTP/1.1\r\nConnection: close\r\n\r\n", 10_000);
        assertTrue(none.startsWith("HTTP/1.1 400"), none);
        assertTrue(none.contains("no Host header"), none);
        String junk = s.raw("GET /v1/models HTTP/1.1\r\nHost: local host\r\nConnection: close\r\n\r\n", 10_000);
        assertTrue(junk.startsWith("HTTP/1.1 400"), junk);
        String evil = s.raw("GET /v1/models HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n", 10_000);
        assertTrue(evil.startsWith("HTTP/1.1 403"), evil);
    }
}
