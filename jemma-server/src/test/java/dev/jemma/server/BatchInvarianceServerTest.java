package dev.jemma.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jemma.generate.ChatMessage;
import dev.jemma.generate.ChatTemplate;
import dev.jemma.generate.FinishReason;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.TokenEvent;
import dev.jemma.generate.TokenStep;
import dev.jemma.model.ForwardBatch;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InferenceState;
import dev.jemma.model.KVType;
import dev.jemma.tensor.Arithmetic;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Batch invariance through the server: greedy answers with log-probabilities over HTTP, sent one at a time and
 * four at once, equal to the bit what the model gives computed in-process with prompt chunks of 5 and no other
 * sequence (the server's scheduler chunks prompts by 32 and batches whatever is running).
 */
class BatchInvarianceServerTest extends SharedServerTest {
    static final String[] QUESTIONS = {"Name three rivers in Europe.", "What is 12 times 7?", "Write a haiku about rain.",
            "Say hello in French."};
    static final int TOKENS = 24, TOP = 2;

    /** One token of an answer: its bytes, its log-probability, and its alternatives' bytes and log-probabilities. */
    record Step(List<Integer> bytes, float logprob, List<String> top) {
    }

    static List<Step> direct(Gemma3Model m, String question) {
        int[] prompt = new ChatTemplate(m.tokenizer).render(List.of(ChatMessage.user(question)), true).toArray();
        List<Step> steps = new ArrayList<>();
        TokenStep step = new TokenStep(m.tokenizer, m.vocabRows(), prompt, SamplingParams.greedy(TOKENS), null, TOP,
                e -> { if (e.tokenId() >= 0) steps.add(step(m, e)); });
        float[] logits = new float[m.vocabRows()];
        ForwardBatch b = new ForwardBatch();
        try (InferenceState s = m.newState(prompt.length + TOKENS + 1, 5, KVType.F32)) {
            for (int fed = 0; fed < prompt.length; fed += 5) {
                int n = Math.min(5, prompt.length - fed);
                b.clear().add(s, prompt, fed, n, fed + n == prompt.length ? ForwardBatch.Logits.LAST : ForwardBatch.Logits.NONE);
                b.arithmetic(Arithmetic.BATCH_INVARIANT);
                b.logits(logits);
                m.forward(b);
            }
            FinishReason end;
            while ((end = step.next(logits, s.position(), s.contextLength)) == null) {
                b.clear().add(s, step.lastToken(), ForwardBatch.Logits.LAST);
                b.arithmetic(Arithmetic.BATCH_INVARIANT);
                b.logits(logits);
                m.forward(b);
            }
            assertNotNull(end);
        }
        return steps;
    }

    static Step step(Gemma3Model m, TokenEvent e) {
        List<String> top = new ArrayList<>();
        for (int i = 0; i < e.topIds().length; i++) top.add(bytes(m, e.topIds()[i]) + "=" + e.topLogprobs()[i]);
        return new Step(bytes(m, e.tokenId()), e.logprob(), top);
    }

    static List<Integer> bytes(Gemma3Model m, int id) {
        List<Integer> out = new ArrayList<>();
        byte[] b = m.tokenizer.tokenBytes(id);
        if (b != null) for (byte x : b) out.add(x & 0xFF);
        return out;
    }

    static List<Step> parse(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        List<Step> steps = new ArrayList<>();
        for (JsonNode t : TestServer.json(r.body()).at("/choices/0/logprobs/content")) {
            List<String> top = new ArrayList<>();
            for (JsonNode a : t.get("top_logprobs")) top.add(bytes(a) + "=" + (float) a.get("logprob").asDouble());
            steps.add(new Step(bytes(t), (float) t.get("logprob").asDouble(), top));
        }
        return steps;
    }

    static List<Integer> bytes(JsonNode t) {
        List<Integer> out = new ArrayList<>();
        for (JsonNode x : t.get("bytes")) out.add(x.asInt());
        return out;
    }

    HttpResponse<String> ask(String question) throws Exception {
        return s.post("/v1/chat/completions", TestServer.chat(question, TOKENS,
                "\"logprobs\":true,\"top_logprobs\":" + TOP));
    }

    @Test
    void answersOverHttpAloneOrTogetherEqualTheModelsOwn() throws Exception {
        Gemma3Model m = TestModel.get().model();
        List<List<Step>> expected = new ArrayList<>();
        for (String q : QUESTIONS) expected.add(direct(m, q));
        for (int i = 0; i < QUESTIONS.length; i++) {
            assertEquals(expected.get(i), parse(ask(QUESTIONS[i])), "alone over HTTP, question " + i);
        }
        List<CompletableFuture<List<Step>>> together = new ArrayList<>();
        for (String q : QUESTIONS) {
            together.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return parse(ask(q));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (int i = 0; i < QUESTIONS.length; i++) {
            assertEquals(expected.get(i), together.get(i).get(), "four at once over HTTP, question " + i);
        }
    }
}
