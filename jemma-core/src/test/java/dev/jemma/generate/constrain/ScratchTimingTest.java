package dev.jemma.generate.constrain;

import dev.jemma.Jemma;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.generate.TextListener;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.Test;

class ScratchTimingTest {
    @Test
    void timing() {
        try (Jemma jemma = Jemma.builder().model(Assets.realModel()).threads(2).contextLength(512).build()) {
            long t0 = System.nanoTime();
            TokenTrie trie = TokenTrie.of(jemma.tokenizer());
            System.out.println("trie nodes " + trie.nodes() + " maxlen " + trie.maxTokenBytes() + " in " + (System.nanoTime() - t0) / 1e6 + " ms");
            Grammar g = JsonSchemaCompiler.compile("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":150}},\"required\":[\"name\",\"age\"]}");
            try (Session s = jemma.newSession()) {
                for (int seed = 0; seed < 3; seed++) {
                    GrammarConstraint c = g.constraint(jemma.tokenizer());
                    GenerationResult r = s.chat("Give me a JSON object describing a person with name and age.", SamplingParams.GEMMA_DEFAULTS.withSeed(seed).withMaxTokens(64), c, TextListener.NONE);
                    System.out.println(r.finishReason() + " " + r.generatedTokens() + " tokens, decode " + r.decodeNanos() / 1e6 + " ms, mask " + c.maskNanos() / 1e6 + " ms, misses " + c.maskMisses() + "/" + c.maskCalls() + ": " + r.text());
                }
            }
        }
    }
}
