package dev.jemma.generate;

import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InferenceState;
import dev.jemma.tensor.Arithmetic;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Speculative decoding on the real 270M: the tokens equal plain decoding's, greedy and sampled with a seed, for
 * prompt lookup and for a draft model, in both session arithmetics, up to the context's end; and the verification
 * pass computes each row to the bit as a lone decode step does.
 */
class SpeculativeDecodingTest {
    static Gemma3Model model;
    static Gemma3Model draft;

    /** Completions the base model continues by copying from its prompt, and some it does not. */
    static final List<String> PROMPTS = List.of(
            "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. The quick brown",
            "Monday, Tuesday, Wednesday, Thursday, Friday. Monday, Tuesday,",
            "def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return a - b\n\ndef mul(a, b):\n",
            "Once upon a time, in a small village by the sea, there lived an old fisherman who",
            "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,");

    @BeforeAll
    static void load() throws Exception {
        model = Gemma3Model.load(Assets.realModel(), 2);
        draft = Gemma3Model.load(Assets.realModel(), 1);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
        if (draft != null) draft.close();
        model = null; // the test JVM runs other classes after this one: let their heap (tokenizers, buffers) go
        draft = null;
    }

    private static GenerationResult complete(String prompt, SamplingParams p, Speculation spec, Arithmetic a, int ctx) {
        try (Session s = new Session(model, ctx)) {
            s.arithmetic(a);
            s.speculation(spec);
            return s.complete(prompt, p, TextListener.NONE);
        }
    }

    @Test
    void verificationRowsEqualLoneDecodeStepsToTheBit() {
        int vocab = model.vocabRows(), k = 7;
        int[] prompt = model.tokenizer.encode(PROMPTS.get(0));
        int[] next = Arrays.copyOfRange(model.tokenizer.encode(PROMPTS.get(3)), 0, k);
        float[] one = new float[vocab], all = new float[k * vocab];
        try (InferenceState a = model.newState(256); InferenceState b = model.newState(256)) {
            model.forward(a, prompt, 0, prompt.length, one, false);
            model.forward(b, prompt, 0, prompt.length, one, false);
            model.forward(b, next, 0, k, all, true, Arithmetic.DECODE);
            for (int i = 0; i < k; i++) {
                model.forward(a, next, i, 1, one, false);
                for (int v = 0; v < vocab; v++) {
                    if (Float.floatToRawIntBits(one[v]) != Float.floatToRawIntBits(all[i * vocab + v])) {
                        fail("row " + i + " logit " + v + ": pass " + all[i * vocab + v] + " != lone step " + one[v]);
                    }
                }
            }
        }
    }

    @Test
    void promptLookupGivesPlainDecodingsTokens() {
        int drafted = 0, accepted = 0;
        for (int ngram : new int[] {1, 3}) {
            for (String prompt : PROMPTS) {
                SamplingParams p = SamplingParams.greedy(48);
                GenerationResult plain = complete(prompt, p, null, Arithmetic.FAST, 512);
                GenerationResult spec = complete(prompt, p, Speculation.promptLookup(ngram, 8), Arithmetic.FAST, 512);
                assertArrayEquals(plain.tokens(), spec.tokens(), "n-gram " + ngram + ": " + prompt);
                assertEquals(plain.text(), spec.text());
                assertEquals(plain.finishReason(), spec.finishReason());
                assertEquals(0, plain.draftedTokens());
                assertTrue(spec.acceptedTokens() <= spec.draftedTokens());
                drafted += spec.draftedTokens();
                accepted += spec.acceptedTokens();
            }
        }
        assertTrue(accepted > 50, "repetitive prompts keep drafts: " + accepted + " of " + drafted);
    }

    @Test
    void sampledWithASeedGivesTheSameTokens() {
        SamplingParams p = SamplingParams.GEMMA_DEFAULTS.withTemperature(0.9f).withTopK(40).withTopP(0.95f)
                .withPenalties(1.1f, 0.1f, 0.05f).withMaxTokens(40);
        for (int seed = 1; seed <= 3; seed++) {
            for (String prompt : PROMPTS.subList(0, 3)) {
                GenerationResult plain = complete(prompt, p.withSeed(seed), null, Arithmetic.FAST, 512);
                GenerationResult spec = complete(prompt, p.withSeed(seed), Speculation.promptLookup(3, 8), Arithmetic.FAST, 512);
                assertArrayEquals(plain.tokens(), spec.tokens(), "seed " + seed + ": " + prompt);
            }
        }
    }

    @Test
    void batchInvariantSessionsVerifyInTheirOwnArithmetic() {
        for (String prompt : PROMPTS.subList(0, 3)) {
            GenerationResult plain = complete(prompt, SamplingParams.greedy(40), null, Arithmetic.BATCH_INVARIANT, 512);
            GenerationResult spec = complete(prompt, SamplingParams.greedy(40), Speculation.promptLookup(3, 8), Arithmetic.BATCH_INVARIANT, 512);
            assertArrayEquals(plain.tokens(), spec.tokens(), prompt);
        }
    }

    @Test
    void aDraftModelGivesPlainDecodingsTokens() {
        Speculation spec = new Speculation(0, draft, 4, 0.3f);
        int drafted = 0, accepted = 0;
        for (String prompt : PROMPTS) {
            GenerationResult plain = complete(prompt, SamplingParams.greedy(32), null, Arithmetic.FAST, 512);
            GenerationResult r = complete(prompt, SamplingParams.greedy(32), spec, Arithmetic.FAST, 512);
            assertArrayEquals(plain.tokens(), r.tokens(), prompt);
            drafted += r.draftedTokens();
            accepted += r.acceptedTokens();
        }
        // the same weights draft: only the arithmetic of a multi-token prefill may make a draft differ
        assertTrue(drafted > 0 && accepted >= 0.9 * drafted, accepted + " of " + drafted);
        // both drafters: prompt lookup first, the model when lookup finds nothing
        Speculation both = new Speculation(3, draft, 8, 0.3f);
        for (String prompt : PROMPTS.subList(2, 4)) {
            GenerationResult plain = complete(prompt, SamplingParams.greedy(32), null, Arithmetic.FAST, 512);
            assertArrayEquals(plain.tokens(), complete(prompt, SamplingParams.greedy(32), both, Arithmetic.FAST, 512).tokens());
        }
    }

    @Test
    void draftsStopAtTheContextsEndAndAtMaxTokens() {
        String prompt = PROMPTS.get(4);
        int promptTokens = model.tokenizer.encode(prompt).length + 1;
        int ctx = promptTokens + 21;
        GenerationResult plain = complete(prompt, SamplingParams.greedy(200), null, Arithmetic.FAST, ctx);
        GenerationResult spec = complete(prompt, SamplingParams.greedy(200), Speculation.promptLookup(3, 16), Arithmetic.FAST, ctx);
        assertEquals(FinishReason.LENGTH, plain.finishReason());
        assertArrayEquals(plain.tokens(), spec.tokens());
        assertEquals(FinishReason.LENGTH, spec.finishReason());
        for (int max : new int[] {1, 2, 5, 9}) {
            GenerationResult r = complete(prompt, SamplingParams.greedy(max), Speculation.promptLookup(3, 16), Arithmetic.FAST, 512);
            assertEquals(max, r.generatedTokens(), "max_tokens " + max);
            assertArrayEquals(complete(prompt, SamplingParams.greedy(max), null, Arithmetic.FAST, 512).tokens(), r.tokens());
        }
    }

    @Test
    void aSessionKeepsTheCacheConsistentAcrossTurns() {
        try (Session plain = new Session(model, 1024); Session spec = new Session(model, 1024)) {
            spec.speculation(Speculation.promptLookup(3, 8));
            for (String turn : List.of("Repeat after me: red, green, blue, red, green, blue.", "Now say it again, twice.")) {
                GenerationResult a = plain.chat(turn, SamplingParams.greedy(40), TextListener.NONE);
                GenerationResult b = spec.chat(turn, SamplingParams.greedy(40), TextListener.NONE);
                assertArrayEquals(a.tokens(), b.tokens(), turn);
                assertEquals(plain.cachedTokens(), spec.cachedTokens());
            }
        }
    }
}
