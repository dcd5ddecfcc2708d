package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.generate.ContextConfig;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.generate.Speculation;
import dev.jemma.generate.TextListener;
import dev.jemma.model.Gemma3Model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Speculative decoding against plain decoding on real prompts: each chat prompt (or raw completion) is answered both ways in the same
 * JVM, in alternating order, for several rounds after one untimed warm-up round; decode tokens/s (the time after
 * the prompt is in the cache) summed over the prompts, the acceptance rate, and whether the tokens were identical.
 */
final class SpeculativeBench {
    private SpeculativeBench() {
    }

    static List<Map<String, Object>> run(Gemma3Model m, List<String> prompts, Speculation spec, SamplingParams params,
                                         boolean raw, int rounds, int contextLength) {
        List<Map<String, Object>> rows = new ArrayList<>();
        long[] plainNanos = new long[rounds], specNanos = new long[rounds];
        long plainTokens = 0, specTokens = 0, drafted = 0, accepted = 0;
        int same = 0, compared = 0;
        try (Session s = new Session(m, ContextConfig.of(contextLength))) {
            for (int round = -1; round < rounds; round++) {
                for (int i = 0; i < prompts.size(); i++) {
                    if (round < 0 && i >= 3) break; // warm-up: the JIT compiles both paths
                    GenerationResult plain = null, fast = null;
                    for (int order = 0; order < 2; order++) {
                        boolean speculative = ((i + Math.max(round, 0) + order) & 1) == 1;
                        s.reset();
                        s.speculation(speculative ? spec : null);
                        GenerationResult r = raw ? s.complete(prompts.get(i), params, TextListener.NONE)
                                : s.chat(prompts.get(i), params, TextListener.NONE);
                        if (speculative) fast = r;
                        else plain = r;
                    }
                    s.speculation(null);
                    if (round < 0) continue;
                    plainNanos[round] += plain.decodeNanos();
                    specNanos[round] += fast.decodeNanos();
                    boolean identical = Arrays.equals(plain.tokens(), fast.tokens());
                    if (round == 0) {
                        plainTokens += plain.generatedTokens();
                        specTokens += fast.generatedTokens();
                        drafted += fast.draftedTokens();
                        accepted += fast.acceptedTokens();
                        compared++;
                        if (identical) same++;
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("prompt", i + 1);
                        row.put("tokens", plain.generatedTokens());
                        row.put("plain_tok_s", round1(plain.decodeTokensPerSecond()));
                        row.put("speculative_tok_s", round1(fast.decodeTokensPerSecond()));
                        row.put("drafted", fast.draftedTokens());
                        row.put("accepted", fast.acceptedTokens());
                        row.put("identical", identical);
                        rows.add(row);
                    } else if (!identical) {
                        throw new JemmaException("prompt " + (i + 1) + ": speculative tokens differ from plain decoding in round " + (round + 1));
                    }
                }
            }
        }
        double[] ratios = new double[rounds];
        double[] plainRates = new double[rounds], specRates = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            plainRates[r] = plainTokens / (plainNanos[r] / 1e9);
            specRates[r] = specTokens / (specNanos[r] / 1e9);
            ratios[r] = specRates[r] / plainRates[r];
        }
        Map<String, Object> total = new LinkedHashMap<>();
        total.put("prompt", "all");
        total.put("tokens", plainTokens);
        total.put("plain_tok_s", round1(median(plainRates)));
        total.put("speculative_tok_s", round1(median(specRates)));
        total.put("speedup_median", Math.round(median(ratios) * 1000) / 1000.0);
        total.put("speedup_per_round", Arrays.stream(ratios).map(x -> Math.round(x * 1000) / 1000.0).boxed().toList());
        total.put("drafted", drafted);
        total.put("accepted", accepted);
        total.put("acceptance", drafted == 0 ? 0 : Math.round(1000.0 * accepted / drafted) / 1000.0);
        total.put("identical", same + "/" + compared);
        rows.add(total);
        return rows;
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
