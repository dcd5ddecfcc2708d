package dev.jemma.cli;

import dev.jemma.generate.ChatMessage;
import dev.jemma.generate.ContextConfig;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.generate.TextListener;
import dev.jemma.constrain.Grammar;
import dev.jemma.constrain.GrammarConstraint;
import dev.jemma.constrain.JsonSchemaCompiler;
import dev.jemma.constrain.TokenTrie;
import dev.jemma.model.Gemma3Model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What constrained decoding adds to decode time per token: for each schema and seed, the same chat prompt is
 * answered unconstrained, under a freshly compiled grammar (cold mask cache) and under a reused one (warm).
 * The time inside mask() is measured directly, so noise from other processes does not swamp a few percent.
 */
final class ConstrainedDecodeBench {
    private ConstrainedDecodeBench() {
    }

    static Map<String, Object> run(Gemma3Model m, List<Path> schemaFiles, int seeds, int maxTokens) throws Exception {
        TokenTrie.of(m.tokenizer); // built once per tokenizer, not part of any request
        long plainNanos = 0, plainTokens = 0, coldMask = 0, coldCalls = 0, coldDecode = 0, coldTokens = 0;
        long warmMask = 0, warmCalls = 0, warmDecode = 0, warmTokens = 0;
        try (Session s = new Session(m, ContextConfig.of(1024))) {
            for (int round = 0; round < 2; round++) { // round 0 warms the JIT and is not counted
                for (Path file : schemaFiles) {
                    String schema = InputFiles.text("--json-schema", file);
                    Grammar shared = JsonSchemaCompiler.compile(schema);
                    List<ChatMessage> prompt = List.of(ChatMessage.user("Answer with JSON only, matching this JSON Schema:\n" + schema));
                    for (int seed = 0; seed < seeds; seed++) {
                        SamplingParams p = SamplingParams.GEMMA_DEFAULTS.withSeed(seed).withMaxTokens(maxTokens);
                        GenerationResult plain = s.chat(prompt, p, TextListener.NONE);
                        GrammarConstraint cold = JsonSchemaCompiler.compile(schema).constraint(m.tokenizer);
                        GenerationResult rc = s.chat(prompt, p, cold, TextListener.NONE);
                        GrammarConstraint warm = shared.constraint(m.tokenizer);
                        GenerationResult rw = s.chat(prompt, p, warm, TextListener.NONE);
                        if (round == 0) continue;
                        plainNanos += plain.decodeNanos();
                        plainTokens += plain.generatedTokens();
                        coldMask += cold.maskNanos();
                        coldCalls += cold.maskCalls();
                        coldDecode += rc.decodeNanos();
                        coldTokens += rc.generatedTokens();
                        warmMask += warm.maskNanos();
                        warmCalls += warm.maskCalls();
                        warmDecode += rw.decodeNanos();
                        warmTokens += rw.generatedTokens();
                    }
                }
            }
        }
        double decode = plainNanos / 1e6 / plainTokens;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("test", "json-schema x" + schemaFiles.size());
        r.put("threads", m.threads());
        r.put("seeds", seeds);
        r.put("unconstrained_ms_per_token", decode);
        r.put("cold_mask_ms_per_token", coldMask / 1e6 / coldCalls);
        r.put("cold_mask_share_of_decode", coldMask / 1e6 / coldCalls / decode);
        r.put("cold_decode_ms_per_token", coldDecode / 1e6 / coldTokens);
        r.put("warm_mask_ms_per_token", warmMask / 1e6 / warmCalls);
        r.put("warm_mask_share_of_decode", warmMask / 1e6 / warmCalls / decode);
        r.put("warm_decode_ms_per_token", warmDecode / 1e6 / warmTokens);
        return r;
    }
}
