package dev.jemma.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jemma.Jemma;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A server whose model drafts by prompt lookup answers exactly as one without drafts (OpenAI chat, greedy and
 * seeded sampling, with log-probabilities; Ollama generate), and counts the drafts in /metrics.
 */
class SpeculativeServerTest {
    private static final List<String> BODIES = List.of(
            "{\"model\":\"gemma3-test\",\"messages\":[{\"role\":\"user\",\"content\":\"Repeat exactly: one two three four five, one two three four five.\"}],"
                    + "\"temperature\":0,\"max_tokens\":40,\"logprobs\":true,\"top_logprobs\":2}",
            "{\"model\":\"gemma3-test\",\"messages\":[{\"role\":\"user\",\"content\":\"Copy this line: The quick brown fox jumps over the lazy dog.\"}],"
                    + "\"temperature\":0.8,\"seed\":11,\"max_tokens\":32}");

    @Test
    void draftsChangeNothingButTheSpeed() throws Exception {
        String[] plain = new String[BODIES.size()];
        String plainGenerate;
        try (TestServer s = new TestServer()) {
            for (int i = 0; i < BODIES.size(); i++) plain[i] = answer(s.post("/v1/chat/completions", BODIES.get(i)).body());
            plainGenerate = s.post("/api/generate", generateBody()).body();
        }
        try (Jemma drafting = Jemma.builder().model(TestModel.path()).threads(2).contextLength(1024).draftNgram(3).build();
             TestServer s = new TestServer(c -> c, drafting)) {
            for (int i = 0; i < BODIES.size(); i++) {
                assertEquals(plain[i], answer(s.post("/v1/chat/completions", BODIES.get(i)).body()), BODIES.get(i));
            }
            assertEquals(TestServer.json(plainGenerate).path("response").asText(),
                    TestServer.json(s.post("/api/generate", generateBody()).body()).path("response").asText());
            String metrics = s.get("/metrics").body();
            long drafted = value(metrics, "jemma:draft_tokens_total"), accepted = value(metrics, "jemma:draft_accepted_tokens_total");
            assertTrue(drafted > 0 && accepted > 0 && accepted <= drafted, metrics);
            assertTrue(metrics.contains("jemma:draft_acceptance_rate "), metrics);
        }
    }

    private static String generateBody() {
        return "{\"model\":\"gemma3-test\",\"prompt\":\"Say it twice: red, green, blue.\",\"stream\":false,"
                + "\"options\":{\"temperature\":0,\"num_predict\":30}}";
    }

    /** The message and its log-probabilities, without ids and timings. */
    private static String answer(String body) throws Exception {
        JsonNode r = TestServer.json(body);
        JsonNode choice = r.at("/choices/0");
        assertFalse(choice.isMissingNode(), body);
        return choice.path("message").path("content").asText() + "|" + choice.path("logprobs") + "|" + choice.path("finish_reason").asText();
    }

    private static long value(String metrics, String name) {
        Matcher m = Pattern.compile("\n" + Pattern.quote(name) + " (\\d+)").matcher(metrics);
        assertTrue(m.find(), name + " in " + metrics);
        return Long.parseLong(m.group(1));
    }
}
