package dev.jemma.generate.constrain;

import dev.jemma.Jemma;
import dev.jemma.generate.ChatMessage;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.generate.TextListener;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.List;

/**
 * Acceptance (c): what masking adds to decode time per token on the real 270M. Runs only with -Djemma.bench=true:
 * <pre>mvn -B -o -q -pl jemma-core test -Dtest=MaskingOverheadBenchmark -Djemma.bench=true</pre>
 * For each schema and seed: one constrained generation with a freshly compiled grammar (cold mask cache: every
 * new parser state costs a trie walk) and one reusing the grammar (warm cache), plus an unconstrained generation
 * of the same prompt for the per-token decode time without masking. Overhead = time inside mask() per token
 * divided by the unconstrained decode time per token (mask time is measured directly, so the neighbours' noise
 * on this shared machine does not swamp it).
 */
@EnabledIfSystemProperty(named = "jemma.bench", matches = "true")
class MaskingOverheadBenchmark {
    @Test
    void maskingOverheadPerToken() {
        List<String> schemas = List.of(StructuredOutputRealModelTest.SCHEMAS.get(0), StructuredOutputRealModelTest.SCHEMAS.get(6),
                StructuredOutputRealModelTest.SCHEMAS.get(12), StructuredOutputRealModelTest.SCHEMAS.get(19));
        try (Jemma jemma = Jemma.builder().model(Assets.realModel()).threads(2).contextLength(1024).build();
             Session s = jemma.newSession()) {
            TokenTrie.of(jemma.tokenizer());
            long plainNanos = 0, plainTokens = 0, coldMask = 0, coldTokens = 0, coldMisses = 0, warmMask = 0, warmTokens = 0, warmMisses = 0;
            for (int round = 0; round < 2; round++) { // round 0 warms the JIT and is not counted
                for (String schema : schemas) {
                    List<ChatMessage> prompt = List.of(ChatMessage.user("Answer with JSON only, matching this JSON Schema:\n" + schema));
                    Grammar shared = JsonSchemaCompiler.compile(schema);
                    for (int seed = 0; seed < 4; seed++) {
                        SamplingParams p = SamplingParams.GEMMA_DEFAULTS.withSeed(seed).withMaxTokens(64);
                        GenerationResult plain = s.chat(prompt, p, TextListener.NONE);
                        GrammarConstraint cold = JsonSchemaCompiler.compile(schema).constraint(jemma.tokenizer());
                        GenerationResult rc = s.chat(prompt, p, cold, TextListener.NONE);
                        GrammarConstraint warm = shared.constraint(jemma.tokenizer());
                        GenerationResult rw = s.chat(prompt, p, warm, TextListener.NONE);
                        if (round == 0) continue;
                        plainNanos += plain.decodeNanos();
                        plainTokens += plain.generatedTokens();
                        coldMask += cold.maskNanos();
                        coldTokens += cold.maskCalls();
                        coldMisses += cold.maskMisses();
                        warmMask += warm.maskNanos();
                        warmTokens += warm.maskCalls();
                        warmMisses += warm.maskMisses();
                    }
                }
            }
            double decode = plainNanos / 1e6 / plainTokens;
            double coldPer = coldMask / 1e6 / coldTokens, warmPer = warmMask / 1e6 / warmTokens;
            System.out.printf("unconstrained decode: %.2f ms/token over %d tokens%n", decode, plainTokens);
            System.out.printf("cold cache: mask %.3f ms/token over %d tokens (%d trie walks) = %.2f%% of decode%n",
                    coldPer, coldTokens, coldMisses, 100 * coldPer / decode);
            System.out.printf("warm cache: mask %.3f ms/token over %d tokens (%d trie walks) = %.2f%% of decode%n",
                    warmPer, warmTokens, warmMisses, 100 * warmPer / decode);
        }
    }
}
