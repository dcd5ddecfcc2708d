package dev.jemma.generate;

import dev.jemma.Jemma;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/** The library API on the real 270M: streaming, multi-turn prefix reuse, stop strings, shared-model threads. */
class SessionRealModelTest {
    static Jemma jemma;

    @BeforeAll
    static void load() {
        jemma = Jemma.builder().model(Assets.realModel()).threads(2).contextLength(1024).build();
    }

    @AfterAll
    static void close() {
        if (jemma != null) jemma.close();
        jemma = null; // the test JVM goes on to other classes: let the model's heap go
    }

    @Test
    void streamedPiecesConcatenateToTheResult() {
        try (Session s = jemma.newSession()) {
            StringBuilder streamed = new StringBuilder();
            int[] pieces = {0};
            GenerationResult r = s.chat("Write one sentence about the sea.", SamplingParams.greedy(40), d -> {
                streamed.append(d);
                pieces[0]++;
            });
            assertEquals(r.text(), streamed.toString());
            // streamed as it is generated: about one piece per token, not one block at the end
            assertTrue(pieces[0] >= r.generatedTokens() / 2, pieces[0] + " pieces for " + r.generatedTokens() + " tokens");
            assertFalse(r.text().isBlank());
            assertFalse(r.text().contains("<end_of_turn>"));
            assertTrue(r.generatedTokens() > 0);
        }
    }

    @Test
    void secondTurnComputesOnlyItsNewTokens() {
        try (Session s = jemma.newSession()) {
            GenerationResult first = s.chat("Hello! What is your name?", SamplingParams.greedy(24), TextListener.NONE);
            int cached = s.cachedTokens();
            assertEquals(first.promptTokens(), first.prefilledTokens());
            GenerationResult second = s.chat("And what can you do?", SamplingParams.greedy(24), TextListener.NONE);
            // everything up to the first answer came from the cache
            assertEquals(second.promptTokens() - cached, second.prefilledTokens());
            assertTrue(second.prefilledTokens() < 25, "new tokens only: " + second.prefilledTokens());
            assertEquals(4, s.history().size());
        }
    }

    @Test
    void tenTurnChatPrefillsOnlyNewTokens() {
        try (Session s = jemma.newSession()) {
            s.setSystem("Answer briefly.");
            for (int turn = 0; turn < 10; turn++) {
                int cachedBefore = s.cachedTokens();
                GenerationResult r = s.chat("Question number " + turn + ": name a colour.", SamplingParams.greedy(12), TextListener.NONE);
                // the previous answer's last token (not yet in the cache) is the only re-fed old token
                int newTokens = r.promptTokens() - cachedBefore;
                assertEquals(newTokens, r.prefilledTokens(), "turn " + turn);
                if (turn > 0) assertTrue(r.prefilledTokens() < 30, "turn " + turn + " computed " + r.prefilledTokens());
                assertEquals(r.promptTokens(), cachedBefore + r.prefilledTokens());
            }
            assertEquals(20, s.history().size());
        }
    }

    @Test
    void stopStringEndsGenerationAndNeverAppears() {
        try (Session s = jemma.newSession()) {
            String full = s.complete("The capital of France is", SamplingParams.greedy(30), TextListener.NONE).text();
            assertTrue(full.length() > 12, full);
            String stop = full.substring(6, 10);
            s.reset();
            StringBuilder streamed = new StringBuilder();
            GenerationResult r = s.complete("The capital of France is",
                    SamplingParams.greedy(30).withStop(List.of(stop)), streamed::append);
            assertEquals(full.substring(0, full.indexOf(stop)), r.text());
            assertEquals(r.text(), streamed.toString());
            assertEquals(FinishReason.STOP, r.finishReason());
        }
    }

    @Test
    void maxTokensEndsWithLength() {
        try (Session s = jemma.newSession()) {
            GenerationResult r = s.complete("Once upon a time", SamplingParams.greedy(5), TextListener.NONE);
            assertEquals(5, r.generatedTokens());
            assertEquals(FinishReason.LENGTH, r.finishReason());
        }
    }

    @Test
    void sessionsOnSeveralThreadsShareOneModel() throws Exception {
        String[] prompts = {"Name a fruit.", "Count to five.", "Say hello in French."};
        String[] alone = new String[prompts.length];
        for (int i = 0; i < prompts.length; i++) {
            try (Session s = jemma.newSession()) {
                alone[i] = s.chat(prompts[i], SamplingParams.greedy(20), TextListener.NONE).text();
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(prompts.length);
        try {
            @SuppressWarnings("unchecked")
            Future<String>[] futures = new Future[prompts.length];
            for (int i = 0; i < prompts.length; i++) {
                String p = prompts[i];
                futures[i] = pool.submit(() -> {
                    try (Session s = jemma.newSession()) {
                        return s.chat(p, SamplingParams.greedy(20), TextListener.NONE).text();
                    }
                });
            }
            for (int i = 0; i < prompts.length; i++) assertEquals(alone[i], futures[i].get());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void seededSamplingIsReproducible() {
        SamplingParams p = SamplingParams.GEMMA_DEFAULTS.withSeed(1234).withMaxTokens(20);
        try (Session a = jemma.newSession(); Session b = jemma.newSession()) {
            assertEquals(a.chat("Tell me a story.", p, TextListener.NONE).text(),
                    b.chat("Tell me a story.", p, TextListener.NONE).text());
        }
    }
}
