package dev.jemma.batch;

import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.TokenConstraint;

/**
 * One generation for the {@link BatchScheduler}: prompt ids (already rendered with the chat template),
 * sampling, an optional constraint, and how many alternatives to report per token.
 *
 * @param prompt          token ids, BOS first; must leave room in the context for at least one token
 * @param params          sampling and stop settings (max tokens, stop strings, seed)
 * @param constraint      restricts the tokens (JSON Schema, grammar), or null
 * @param topLogprobs     -1: no log-probabilities; 0..20: the chosen token's log-probability and this many top alternatives
 * @param deadlineNanos   {@link System#nanoTime()} after which generation ends with finish reason LENGTH; 0 = none
 */
public record GenerationRequest(int[] prompt, SamplingParams params, TokenConstraint constraint, int topLogprobs,
                                long deadlineNanos) {
    public static final int MAX_TOP_LOGPROBS = 20;

    public GenerationRequest {
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        if (params == null) throw new IllegalArgumentException("params are required");
        if (topLogprobs < -1 || topLogprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("top_logprobs must be in [0, " + MAX_TOP_LOGPROBS + "], got " + topLogprobs);
        }
        prompt = prompt.clone();
    }

    public static GenerationRequest of(int[] prompt, SamplingParams params) {
        return new GenerationRequest(prompt, params, null, -1, 0);
    }
}
