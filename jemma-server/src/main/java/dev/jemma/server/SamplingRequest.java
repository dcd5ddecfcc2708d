package dev.jemma.server;

import dev.jemma.generate.SamplingParams;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * OpenAI sampling fields to {@link SamplingParams}. Defaults are Gemma's (temperature 1, top-k 64, top-p 0.95);
 * top_k, min_p and repetition_penalty are accepted as extensions, as vLLM and llama.cpp do. A max_tokens beyond
 * what the context leaves is clamped to it (the choice then ends with finish_reason "length").
 */
final class SamplingRequest {
    private SamplingRequest() {}

    /** A seed in the request, or a random one; returned so n choices can derive theirs from it. */
    static long seed(Params p) {
        return p.has("seed") ? p.integer("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE) : ThreadLocalRandom.current().nextLong();
    }

    /**
     * @param defaultMax max tokens when the request gives none (≤ 0: the rest of the context)
     */
    static SamplingParams parse(Params p, int promptTokens, int ctx, int defaultMax, long seed) {
        SamplingParams d = SamplingParams.GEMMA_DEFAULTS;
        float temperature = (float) p.number("temperature", d.temperature(), 0, 2);
        float topP = (float) p.number("top_p", d.topP(), 0, 1);
        if (topP == 0) topP = Float.MIN_NORMAL; // OpenAI allows 0: only the most likely token
        int topK = (int) p.integer("top_k", d.topK(), 0, 1 << 20);
        float minP = (float) p.number("min_p", d.minP(), 0, 1);
        float rep = (float) p.number("repetition_penalty", d.repetitionPenalty(), 0, 10);
        if (rep == 0) throw ApiException.invalid(p.name("repetition_penalty"), "'" + p.name("repetition_penalty") + "' must be > 0 (1 = off)");
        float presence = (float) p.number("presence_penalty", d.presencePenalty(), -2, 2);
        float frequency = (float) p.number("frequency_penalty", d.frequencyPenalty(), -2, 2);
        long max = maxTokens(p, "max_completion_tokens", "max_tokens");
        int room = ctx - promptTokens;
        int maxTokens = max > 0 ? (int) Math.min(max, room) : defaultMax > 0 ? Math.min(defaultMax, room) : room;
        List<String> stop = p.stops("stop");
        return new SamplingParams(temperature, topK, topP, minP, rep, presence, frequency, d.penaltyWindow(), seed,
                maxTokens, stop);
    }

    /** max_completion_tokens (current name) or max_tokens (deprecated); 0 when neither is given. */
    static long maxTokens(Params p, String current, String legacy) {
        long a = p.integer(current, 0, 1, Long.MAX_VALUE);
        long b = p.integer(legacy, 0, 1, Long.MAX_VALUE);
        if (p.has(current) && p.has(legacy) && a != b) {
            throw ApiException.invalid(current, "'" + current + "' and '" + legacy + "' disagree; send one of them");
        }
        return a > 0 ? a : b;
    }
}
