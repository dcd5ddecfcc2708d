package dev.jemma.generate;

import dev.jemma.model.InferenceState;
import dev.jemma.model.LinearAdapter;
import dev.jemma.model.PrefixCache;

/**
 * The prefix-cache protocol of one sequence, in one place: which tokens its KV cache holds, how much of a new
 * prompt can be kept (its own earlier tokens, or a longer prefix from the shared {@link PrefixCache}), recording
 * the prompt into the shared cache while it is computed, and forgetting everything after a failure. Used by
 * {@link Session} and by each slot of the batch scheduler. Not thread-safe.
 */
public final class PrefixReuse {
    private final InferenceState state;
    private final PrefixCache shared;
    /** the tokens at the state's positions; its size equals state.position() */
    private final IntList held = new IntList();
    private boolean recording;

    /** @param shared the prefix cache shared with other sequences, or null */
    public PrefixReuse(InferenceState state, PrefixCache shared) {
        this.state = state;
        this.shared = shared;
    }

    /**
     * Keeps the longest prefix of {@code prompt} already available, at most all but its last token (whose logits
     * are needed), and starts recording the rest of the prompt into the shared cache. Returns the positions kept:
     * the prompt is to be computed from there.
     */
    public int begin(int[] prompt) {
        return begin(prompt, state.adapter());
    }

    /**
     * As {@link #begin(int[])}, for a prompt to run with {@code adapter} (null: the bare base): a sequence whose
     * cache was computed through another adapter keeps nothing of it, and only prefixes stored for this adapter
     * are restored.
     */
    public int begin(int[] prompt, LinearAdapter adapter) {
        if (recording) abandonRecording();
        if (state.useAdapter(adapter)) held.clear();
        int limit = Math.min(held.size(), prompt.length - 1);
        int common = 0;
        while (common < limit && held.get(common) == prompt[common]) common++;
        int kept = state.rewind(Math.min(common, state.position()));
        if (shared != null) kept = shared.restore(state, prompt, prompt.length - 1, kept);
        held.clear();
        for (int i = 0; i < kept; i++) held.add(prompt[i]);
        recording = shared != null && shared.beginRecording(state, prompt.length, kept);
        return kept;
    }

    /**
     * Keeps at most {@code n} of the positions {@link #begin} kept (a prompt must not resume inside an image run);
     * returns the positions kept.
     */
    public int keepAtMost(int n) {
        if (n >= held.size()) return held.size();
        if (recording) abandonRecording();
        int kept = state.rewind(n);
        int[] keep = java.util.Arrays.copyOf(held.raw(), kept);
        held.clear();
        held.addAll(keep);
        return kept;
    }

    /** The whole prompt is in the cache now: it becomes a shared entry if it was being recorded. */
    public void prefilled(int[] prompt) {
        held.clear();
        held.addAll(prompt);
        if (recording) {
            recording = false;
            shared.finishRecording(state, prompt);
        }
    }

    /** A generated token was fed to the model. */
    public void appended(int token) {
        held.add(token);
    }

    /**
     * A verification pass fed {@code fed} tokens (tokens[0..fed)) and the first {@code kept} stay: the cache
     * forgets the positions of the rest (the drafts the model rejected).
     */
    public void verified(int[] tokens, int fed, int kept) {
        int keep = held.size() + kept;
        if (state.position() != held.size() + fed || state.rewind(keep) != keep) {
            throw new IllegalStateException("verification pass: the cache does not hold the fed tokens");
        }
        for (int i = 0; i < kept; i++) held.add(tokens[i]);
    }

    /** The tokens the cache holds. */
    public int[] heldTokens() {
        return held.toArray();
    }

    /** After a failure part-way: drops the recording and everything the cache held. */
    public void abandon() {
        if (recording) abandonRecording();
        reset();
    }

    /** Forgets the cache's contents. */
    public void reset() {
        state.reset();
        held.clear();
    }

    private void abandonRecording() {
        recording = false;
        shared.abandonRecording(state);
    }
}
