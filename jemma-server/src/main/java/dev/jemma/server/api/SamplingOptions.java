package dev.jemma.server.api;

import dev.jemma.generate.SamplingParams;
import dev.jemma.server.http.ApiException;

import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The sampling fields of a request to {@link SamplingParams}, with one set of rules and defaults whichever API
 * sent them: only the field names differ ({@link Names}). Defaults are {@link SamplingParams#GEMMA_DEFAULTS};
 * top_k, min_p and the repetition penalty are accepted as extensions to OpenAI's API, as vLLM and llama.cpp do.
 * A token limit beyond what the context leaves is clamped to it (the answer then ends with "length").
 */
final class SamplingOptions {
    /** Largest top_k and penalty window accepted (well above any vocabulary or context). */
    static final int MAX_COUNT = 1 << 20;

    /**
     * What one API calls each field; null where it has no such field.
     *
     * @param maxTokens       the token limit
     * @param legacyMaxTokens an older name for it; both may be sent when they agree
     * @param untilFull       the limit may be negative, meaning "until the context is full" (Ollama's -1 and -2)
     * @param contextLength   a smaller context for this request (Ollama's num_ctx), clamped to the server's
     */
    record Names(String temperature, String topK, String topP, String minP, String repetitionPenalty,
                 String presencePenalty, String frequencyPenalty, String penaltyWindow, String seed, String stop,
                 String maxTokens, String legacyMaxTokens, boolean untilFull, String contextLength) {
        /** Every field name, for the request's list of known fields. */
        Set<String> all() {
            Set<String> s = new LinkedHashSet<>();
            Stream.of(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, penaltyWindow,
                    seed, stop, maxTokens, legacyMaxTokens, contextLength).filter(Objects::nonNull).forEach(s::add);
            return s;
        }
    }

    static final Names OPENAI = new Names("temperature", "top_k", "top_p", "min_p", "repetition_penalty",
            "presence_penalty", "frequency_penalty", null, "seed", "stop", "max_completion_tokens", "max_tokens", false, null);
    static final Names OLLAMA = new Names("temperature", "top_k", "top_p", "min_p", "repeat_penalty",
            "presence_penalty", "frequency_penalty", "repeat_last_n", "seed", "stop", "num_predict", null, true, "num_ctx");

    private SamplingOptions() {}

    /**
     * Reads the fields and checks the prompt fits the context (400 naming {@code promptParam} otherwise).
     *
     * @param defaultMax token limit when the request gives none (≤ 0: the rest of the context)
     * @param limit      the server's cap on generated tokens: a larger request is clamped to it
     * @return the parameters; the seed is the request's, or a random one (n choices use seed, seed + 1 ...)
     */
    static SamplingParams parse(Params p, Names n, int promptTokens, int serverCtx, int defaultMax, int limit,
                                String promptParam) {
        SamplingParams d = SamplingParams.GEMMA_DEFAULTS;
        float temperature = (float) p.number(n.temperature(), d.temperature(), 0, 2);
        int topK = (int) p.integer(n.topK(), d.topK(), 0, MAX_COUNT);
        float topP = (float) p.number(n.topP(), d.topP(), 0, 1);
        if (topP == 0) topP = Float.MIN_NORMAL; // 0 is allowed: only the most likely token
        float minP = (float) p.number(n.minP(), d.minP(), 0, 1);
        float repetition = (float) p.number(n.repetitionPenalty(), d.repetitionPenalty(), 0, 10);
        if (repetition == 0) {
            String name = p.name(n.repetitionPenalty());
            throw ApiException.invalid(name, "'" + name + "' must be > 0 (1 = off)");
        }
        float presence = (float) p.number(n.presencePenalty(), d.presencePenalty(), -2, 2);
        float frequency = (float) p.number(n.frequencyPenalty(), d.frequencyPenalty(), -2, 2);
        int window = n.penaltyWindow() == null ? d.penaltyWindow()
                : (int) p.integer(n.penaltyWindow(), d.penaltyWindow(), 0, MAX_COUNT);
        long seed = p.has(n.seed()) ? p.integer(n.seed(), 0, Long.MIN_VALUE, Long.MAX_VALUE) : ThreadLocalRandom.current().nextLong();
        int ctx = serverCtx;
        if (n.contextLength() != null) ctx = (int) Math.min(serverCtx, p.integer(n.contextLength(), serverCtx, 1, Integer.MAX_VALUE));
        if (promptTokens >= ctx) {
            throw ctx < serverCtx
                    ? ApiException.contextExceeded(promptParam, promptTokens, ctx, "'" + p.name(n.contextLength()) + "'")
                    : ApiException.contextExceeded(promptParam, promptTokens, ctx);
        }
        int room = Math.min(ctx - promptTokens, limit);
        long max = maxTokens(p, n);
        int maxTokens = max > 0 ? (int) Math.min(max, room) : max < 0 ? room : defaultMax > 0 ? Math.min(defaultMax, room) : room;
        return new SamplingParams(temperature, topK, topP, minP, repetition, presence, frequency, window, seed, maxTokens,
                p.stops(n.stop()));
    }

    /** The token limit: ≥ 1, or negative (where allowed) for the rest of the context; 0 when not given. */
    private static long maxTokens(Params p, Names n) {
        String key = n.maxTokens();
        long v = p.integer(key, 0, n.untilFull() ? -2 : 1, Long.MAX_VALUE);
        if (p.has(key) && v == 0) {
            throw ApiException.invalid(p.name(key), "'" + p.name(key) + "' must be ≥ 1, or -1 (until the context is full)");
        }
        String legacy = n.legacyMaxTokens();
        if (legacy == null) return v;
        long l = p.integer(legacy, 0, 1, Long.MAX_VALUE);
        if (p.has(key) && p.has(legacy) && v != l) {
            throw ApiException.invalid(p.name(key), "'" + p.name(key) + "' and '" + p.name(legacy) + "' disagree; send one of them");
        }
        return v != 0 ? v : l;
    }
}
