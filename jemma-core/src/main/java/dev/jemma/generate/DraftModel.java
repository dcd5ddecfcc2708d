package dev.jemma.generate;

import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InferenceState;
import dev.jemma.tensor.Arithmetic;
import dev.jemma.tokenizer.Tokenizer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Drafting with a smaller model of the same vocabulary (the 270M for the 1B and larger Gemma 3): it decodes
 * greedily from the context and proposes its tokens while it is confident of them (probability at least
 * {@code minProbability}). Its own KV cache follows the context; drafts the target rejects are rewound.
 */
public final class DraftModel implements Drafter {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private final Gemma3Model model;
    private final InferenceState state;
    private final float minProbability;
    private final float[] logits;
    private final int[] one = new int[1];
    private final IntList context = new IntList();
    /** the tokens at the state's positions */
    private final IntList held = new IntList();
    private final int allowed;
    /** false while the context holds an id the draft model cannot read (an image's soft tokens): no drafts then */
    private boolean readable;

    /**
     * @param target the model the drafts are for: its tokenizer must be the draft model's
     */
    public DraftModel(Gemma3Model draft, Gemma3Model target, int contextLength, float minProbability) {
        checkSameVocabulary(draft.tokenizer, target.tokenizer);
        this.model = draft;
        this.minProbability = minProbability;
        this.state = draft.newState(contextLength);
        this.logits = new float[draft.vocabRows()];
        this.allowed = Math.min(draft.vocabRows(), draft.tokenizer.vocabularySize());
    }

    /** Draft and target must number every token the same way. */
    static void checkSameVocabulary(Tokenizer draft, Tokenizer target) {
        boolean same = draft.vocabularySize() == target.vocabularySize() && draft.bosId() == target.bosId()
                && draft.eosId() == target.eosId();
        for (int id = 0; same && id < draft.vocabularySize(); id += 997) same = draft.tokenText(id).equals(target.tokenText(id));
        if (!same) {
            throw new IllegalArgumentException("the draft model's vocabulary differs from the model's ("
                    + draft.vocabularySize() + " and " + target.vocabularySize() + " tokens): drafts need the same tokenizer");
        }
    }

    @Override
    public void start(int[] prompt) {
        context.clear();
        context.addAll(prompt);
        readable = true;
        for (int id : prompt) if (id < 0 || id >= model.vocabRows()) readable = false;
    }

    @Override
    public void accept(int token) {
        context.add(token);
        if (token < 0 || token >= model.vocabRows()) readable = false;
    }

    @Override
    public int draft(int[] out, int off, int max) {
        int len = context.size();
        if (len == 0 || max <= 0 || !readable) return 0;
        max = Math.min(max, state.contextLength - len);
        if (max <= 0) return 0;
        // keep the cached positions that still match the context (a rejected draft's do not), all but the last
        int common = 0, limit = Math.min(held.size(), len - 1);
        int[] c = context.raw(), h = held.raw();
        while (common < limit && h[common] == c[common]) common++;
        int kept = state.rewind(common);
        held.truncate(kept); // its first kept ids are the context's: no copy per draft
        // catching up is usually a token or two (the last draft and the model's own token): as decode steps, not
        // through the prefill kernels, whose panels cost more than they save below a tile's worth of tokens
        int fresh = len - kept;
        model.forward(state, c, kept, fresh, logits, false, fresh < 8 ? Arithmetic.DECODE : Arithmetic.FAST);
        for (int i = kept; i < len; i++) held.add(c[i]);
        int k = 0;
        while (k < max) {
            int best = argmax();
            if (probability(best) < minProbability) break;
            out[off + k++] = best;
            if (k == max) break;
            one[0] = best;
            model.forward(state, one, 0, 1, logits, false, Arithmetic.FAST);
            held.add(best);
        }
        return k;
    }

    private int argmax() {
        int best = 0;
        for (int i = 1; i < allowed; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /**
     * Softmax probability of {@code id} over the allowed tokens (vectorized: a draft token's threshold test would
     * otherwise take a fifth of a 270M step). Only the decision to draft depends on it, never a token.
     */
    private float probability(int id) {
        if (minProbability <= 0) return 1;
        FloatVector max = FloatVector.broadcast(F, logits[id]);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(allowed); i < bound; i += F.length()) {
            acc = acc.add(FloatVector.fromArray(F, logits, i).sub(max).lanewise(VectorOperators.EXP));
        }
        double sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < allowed; i++) sum += Math.exp(logits[i] - logits[id]);
        return (float) (1 / sum);
    }

    @Override
    public void close() {
        state.close();
    }
}
