package dev.jemma.generate;

import dev.jemma.model.ContextOverflowException;
import dev.jemma.model.Gemma3Model;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** What happens at the edge of the context: refusal naming both sizes, left truncation, and finish reason "length". */
class ContextLimitsRealModelTest {
    static Gemma3Model model;

    @BeforeAll
    static void load() throws Exception {
        model = Gemma3Model.load(Assets.realModel(), 2);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
        model = null; // the test JVM goes on to other classes: let the model's heap go
    }

    static int[] counting(int tokens) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; b.length() < tokens * 8; i++) b.append(i).append(", ");
        int[] body = model.tokenizer.encode(b.toString());
        int[] out = new int[tokens];
        out[0] = model.tokenizer.bosId();
        System.arraycopy(body, 0, out, 1, tokens - 1);
        return out;
    }

    @Test
    void aPromptLongerThanTheContextIsRefusedWithBothSizes() {
        try (Session s = new Session(model, ContextConfig.of(64))) {
            ContextOverflowException e = assertThrows(ContextOverflowException.class,
                    () -> s.generate(counting(100), SamplingParams.greedy(8), TextListener.NONE));
            assertTrue(e.getMessage().contains("100") && e.getMessage().contains("64"), e.getMessage());
            assertEquals(0, s.cachedTokens());
        }
    }

    @Test
    void truncationKeepsBosAndTheMostRecentTokens() {
        int[] prompt = counting(100);
        try (Session s = new Session(model, ContextConfig.of(64).withTruncateLeft(true))) {
            GenerationResult r = s.generate(prompt, SamplingParams.greedy(8), TextListener.NONE);
            // room for min(max_tokens 8, 64/4) = 8 tokens: 56 kept, BOS + the last 55
            assertEquals(56, r.promptTokens());
            assertEquals(44, r.truncatedTokens());
            assertTrue(r.generatedTokens() > 0);
            assertTrue(r.promptTokens() + r.generatedTokens() <= 64);
        }
    }

    @Test
    void generationThatFillsTheContextEndsWithLength() {
        try (Session s = new Session(model, ContextConfig.of(64))) {
            GenerationResult r = s.generate(counting(50), SamplingParams.greedy(500), TextListener.NONE);
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertEquals(64, r.promptTokens() + r.generatedTokens(), "stops exactly at the end of the context");
        }
    }
}
