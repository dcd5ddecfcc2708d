package dev.jemma.generate;

import dev.jemma.model.Gemma3Model;
import dev.jemma.model.KVType;
import dev.jemma.model.PrefixCache;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The shared prefix cache on the real 270M: sessions that start with the same long system prompt
 * compute only what follows it, and answer exactly as a session without the cache does.
 */
class PrefixCacheRealModelTest {
    static Gemma3Model model;
    static final String SYSTEM = "You are a support agent for a bicycle shop in Utrecht. " + "Answer briefly and politely. ".repeat(30)
            + "Our opening hours are 9 to 18, Monday to Saturday; repairs take two days; we sell city bikes, e-bikes and cargo bikes.";

    @BeforeAll
    static void load() throws Exception {
        model = Gemma3Model.load(Assets.realModel(), 2);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
        model = null; // the test JVM goes on to other classes: let the model's heap go
    }

    static List<ChatMessage> ask(String question) {
        return List.of(ChatMessage.system(SYSTEM), ChatMessage.user(question));
    }

    @Test
    void laterSessionsComputeOnlyWhatFollowsTheSharedPrefix() {
        PrefixCache shared = new PrefixCache(model.config, KVType.F32, 64L << 20, 32);
        ContextConfig withCache = ContextConfig.of(1024).withPrefixCache(shared);
        String[] questions = {"When are you open?", "How long does a repair take?", "Do you sell cargo bikes?"};
        GenerationResult first;
        try (Session s = new Session(model, withCache)) {
            first = s.chat(ask(questions[0]), SamplingParams.greedy(16), TextListener.NONE);
        }
        assertEquals(first.promptTokens(), first.prefilledTokens(), "nothing cached yet");
        assertEquals(1, shared.size());
        int systemTokens = model.tokenizer.encode(SYSTEM).length;
        for (int i = 1; i < questions.length; i++) {
            GenerationResult cached, fresh;
            try (Session s = new Session(model, withCache)) {
                cached = s.chat(ask(questions[i]), SamplingParams.greedy(16), TextListener.NONE);
            }
            try (Session s = new Session(model, ContextConfig.of(1024))) {
                fresh = s.chat(ask(questions[i]), SamplingParams.greedy(16), TextListener.NONE);
            }
            int reused = cached.promptTokens() - cached.prefilledTokens();
            System.out.printf("prefix cache: prompt %d tokens, %d reused, %d computed%n",
                    cached.promptTokens(), reused, cached.prefilledTokens());
            assertTrue(reused >= systemTokens, "the system prompt (" + systemTokens + " tokens) is reused, got " + reused);
            assertTrue(cached.prefilledTokens() <= 20, "only the question is computed: " + cached.prefilledTokens());
            assertEquals(fresh.text(), cached.text(), "same answer with and without the cache");
            assertArrayEquals(fresh.tokens(), cached.tokens());
        }
        assertTrue(shared.hits() >= 2);
        assertTrue(shared.bytes() <= 64L << 20);
    }

    @Test
    void theCacheStaysWithinItsBudget() {
        // each prompt of ~190 tokens takes ~7 MiB (18 layers × 2 × 1 KiB per position): 20 MiB cannot hold five
        PrefixCache shared = new PrefixCache(model.config, KVType.F32, 20L << 20, 32);
        ContextConfig cfg = ContextConfig.of(1024).withPrefixCache(shared);
        for (int i = 0; i < 5; i++) {
            try (Session s = new Session(model, cfg)) {
                s.generate(new ChatTemplate(model.tokenizer).render(List.of(ChatMessage.user(
                        ("Topic " + i + ". ").repeat(40) + "Summarize.")), true).toArray(), SamplingParams.greedy(2), TextListener.NONE);
            }
            assertTrue(shared.bytes() <= 20L << 20, "within budget: " + shared.bytes());
        }
        assertTrue(shared.size() >= 1 && shared.size() < 5, "entries: " + shared.size());
    }
}
