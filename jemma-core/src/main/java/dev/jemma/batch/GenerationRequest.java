package dev.jemma.batch;

import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.TokenConstraint;
import dev.jemma.model.ImageRuns;
import dev.jemma.model.LinearAdapter;

/**
 * One generation for the {@link BatchScheduler}: prompt ids (already rendered with the chat template),
 * sampling, an optional constraint, and how many alternatives to report per token.
 *
 * @param prompt          token ids, BOS first; must leave room in the context for at least one token
 * @param params          sampling and stop settings (max tokens, stop strings, seed)
 * @param constraint      restricts the tokens (JSON Schema, grammar), or null
 * @param topLogprobs     -1: no log-probabilities; 0..20: the chosen token's log-probability and this many top alternatives
 * @param deadlineNanos   {@link System#nanoTime()} after which generation ends with finish reason LENGTH; 0 = none
 * @param adapter         the low-rank adapter this request runs with: null for the model's own
 *                        ({@link dev.jemma.model.Gemma3Model#adapter()}), {@link LinearAdapter#NONE} for the bare base
 * @param images          image soft tokens of the prompt ({@link ImageRuns#NONE} for none)
 */
public record GenerationRequest(int[] prompt, SamplingParams params, TokenConstraint constraint, int topLogprobs,
                                long deadlineNanos, LinearAdapter adapter, ImageRuns images) {
    public static final int MAX_TOP_LOGPROBS = 20;

    public GenerationRequest {
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        if (params == null) throw new IllegalArgumentException("params are required");
        if (topLogprobs < -1 || topLogprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("top_logprobs must be in [0, " + MAX_TOP_LOGPROBS + "], got " + topLogprobs);
        }
        prompt = prompt.clone();
        if (images == null) images = ImageRuns.NONE;
    }

    /** Without images. */
    public GenerationRequest(int[] prompt, SamplingParams params, TokenConstraint constraint, int topLogprobs,
                             long deadlineNanos, LinearAdapter adapter) {
        this(prompt, params, constraint, topLogprobs, deadlineNanos, adapter, ImageRuns.NONE);
    }

    /** With the model's own adapter. */
    public GenerationRequest(int[] prompt, SamplingParams params, TokenConstraint constraint, int topLogprobs,
                             long deadlineNanos) {
        this(prompt, params, constraint, topLogprobs, deadlineNanos, null);
    }

    public static GenerationRequest of(int[] prompt, SamplingParams params) {
        return new GenerationRequest(prompt, params, null, -1, 0);
    }

    /** This request with another adapter (see {@link #adapter}). */
    public GenerationRequest withAdapter(LinearAdapter a) {
        return new GenerationRequest(prompt, params, constraint, topLogprobs, deadlineNanos, a, images);
    }
}
