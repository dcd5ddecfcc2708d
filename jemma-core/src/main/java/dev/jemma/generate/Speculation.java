package dev.jemma.generate;

import dev.jemma.model.Gemma3Model;

/**
 * How a session drafts tokens for speculative decoding: prompt lookup over n-grams of up to {@code ngram} tokens
 * (0: off), a draft model (null: none), or both (prompt lookup first, the model when it finds nothing); at most
 * {@code draftMax} tokens per pass; a draft model's tokens only while its probability is at least
 * {@code minProbability}.
 *
 * <p>Verification keeps a draft token only where the model, sampling with the generation's own parameters and
 * random stream, picks that very token; the first token it picks differently ends the pass. So the tokens are
 * those of plain decoding (the same seed gives the same text), greedy or sampled: Leviathan et al.'s rejection
 * sampling for a draft that is a single guess, in its coupled form. The pass's products run in
 * {@link dev.jemma.tensor.Arithmetic#DECODE} (or the session's batch-invariant arithmetic), which computes each token
 * exactly as a lone decode step does.
 */
public record Speculation(int ngram, Gemma3Model draftModel, int draftMax, float minProbability) {
    public static final int DEFAULT_DRAFT_MAX = 8;
    public static final int DEFAULT_NGRAM = 3;
    public static final float DEFAULT_MIN_PROBABILITY = 0.5f;

    public Speculation {
        if (ngram < 0) throw new IllegalArgumentException("draft n-gram length must be ≥ 0, got " + ngram);
        if (draftMax < 1 || draftMax > 64) throw new IllegalArgumentException("draft-max must be 1..64, got " + draftMax);
        if (!(minProbability >= 0 && minProbability <= 1)) throw new IllegalArgumentException("draft min probability must be 0..1");
        if (ngram == 0 && draftModel == null) throw new IllegalArgumentException("speculative decoding needs an n-gram length or a draft model");
    }

    public static Speculation promptLookup(int ngram, int draftMax) {
        return new Speculation(ngram, null, draftMax, DEFAULT_MIN_PROBABILITY);
    }

    /** Fails (IllegalArgumentException) unless the draft model, if any, numbers tokens as {@code target} does. */
    public void check(Gemma3Model target) {
        if (draftModel != null) DraftModel.checkSameVocabulary(draftModel.tokenizer, target.tokenizer);
    }

    /** The drafter of one generation stream over {@code target}: close it after use. */
    public Drafter drafter(Gemma3Model target, int contextLength) {
        Drafter lookup = ngram > 0 ? new PromptLookup(ngram) : null;
        Drafter model = draftModel != null ? new DraftModel(draftModel, target, contextLength, minProbability) : null;
        if (model == null) return lookup;
        if (lookup == null) return model;
        return new FirstDraft(lookup, model);
    }

    /** The first drafter's guess, or the second's when the first has none. */
    private record FirstDraft(Drafter first, Drafter second) implements Drafter {
        @Override
        public void start(int[] prompt) {
            first.start(prompt);
            second.start(prompt);
        }

        @Override
        public void accept(int token) {
            first.accept(token);
            second.accept(token);
        }

        @Override
        public int draft(int[] out, int off, int max) {
            int k = first.draft(out, off, max);
            return k > 0 ? k : second.draft(out, off, max);
        }

        @Override
        public void close() {
            second.close();
        }
    }
}
