package dev.jemma.generate;

import dev.jemma.Trace;
import dev.jemma.tokenizer.StreamingDecoder;
import dev.jemma.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * One generation, advanced one token at a time: given the model's logits it applies the constraint, samples,
 * recognises stop tokens, turns tokens into whole characters, holds back text that may begin a stop string,
 * reports log-probabilities and enforces the token and context limits. The one token loop of the library:
 * {@link Session} drives it synchronously, the batch scheduler once per step. Not thread-safe.
 */
public final class TokenStep {
    /** Receives each token's event; the text may be empty (held back or an incomplete character). */
    @FunctionalInterface
    public interface Sink {
        void onToken(TokenEvent event);
    }

    private static final int[] NO_IDS = new int[0];
    private static final float[] NO_VALUES = new float[0];

    private final Tokenizer tok;
    private final SamplingParams params;
    private final TokenConstraint constraint;
    private final Sink sink;
    private final int[] stopIds;
    private final float[] stopLogits;
    private final Sampler sampler;
    private final StreamingDecoder decoder;
    private final StopStringFilter stops;
    private final StringBuilder text = new StringBuilder();
    private final IntList generated = new IntList();
    /** log-probability scratch, null unless asked for */
    private final float[] raw;
    private final int[] topIds;
    private final float[] topValues;
    private int last = -1;
    private boolean finished;
    private int drafted, accepted;

    /**
     * @param prompt      the prompt's ids, seen by the repetition penalties
     * @param constraint  restricts the tokens, or null
     * @param topLogprobs -1: none; 0..20: the chosen token's log-probability and this many alternatives
     */
    public TokenStep(Tokenizer tok, int vocabRows, int[] prompt, SamplingParams params, TokenConstraint constraint,
                     int topLogprobs, Sink sink) {
        this.tok = tok;
        this.params = params;
        this.constraint = constraint;
        this.sink = sink;
        this.stopIds = StopTokens.of(tok);
        this.stopLogits = new float[stopIds.length];
        this.sampler = new Sampler(params, vocabRows, tok.vocabularySize());
        for (int t : prompt) sampler.accept(t);
        this.decoder = tok.streamingDecoder();
        this.stops = new StopStringFilter(params.stop());
        if (topLogprobs >= 0) {
            raw = new float[vocabRows];
            topIds = new int[topLogprobs];
            topValues = new float[topLogprobs];
        } else {
            raw = null;
            topIds = null;
            topValues = null;
        }
    }

    /**
     * Picks the next token from {@code logits} (masked in place) and streams its text. Returns null when
     * generation goes on with {@link #lastToken()} fed to the model, or the reason it ends here.
     *
     * @param position      positions in the sequence's cache (the picked token would go at this one)
     * @param contextLength the sequence's context
     */
    public FinishReason next(float[] logits, int position, int contextLength) {
        if (constraint != null && constraint.isComplete()) return FinishReason.STOP;
        double logSum = 0;
        if (raw != null) {
            System.arraycopy(logits, 0, raw, 0, raw.length);
            logSum = LogProbs.logSumExp(raw, tok.vocabularySize());
        }
        if (constraint != null) ConstrainedSampling.mask(constraint, logits, stopIds, stopLogits);
        int next = sampler.sample(logits);
        if (generated.size() == 0) Trace.mark("first token");
        if (constraint != null && logits[next] == Float.NEGATIVE_INFINITY) next = ConstrainedSampling.allowedArgmax(logits);
        last = next;
        for (int s : stopIds) if (s == next) return FinishReason.STOP;
        generated.add(next);
        sampler.accept(next);
        if (constraint != null) constraint.accept(next);
        String out = stops.push(tok.isControl(next) ? "" : decoder.append(next));
        text.append(out);
        sink.onToken(raw == null ? new TokenEvent(next, out, Float.NaN, NO_IDS, NO_VALUES) : withLogprobs(next, out, logSum));
        if (stops.stopped() || (constraint != null && constraint.isComplete())) return FinishReason.STOP;
        if (generated.size() >= params.maxTokens() || position + 1 >= contextLength) return FinishReason.LENGTH;
        return null;
    }

    private TokenEvent withLogprobs(int id, String out, double logSum) {
        int k = LogProbs.top(raw, tok.vocabularySize(), topIds, topValues);
        float[] lps = new float[k];
        for (int i = 0; i < k; i++) lps[i] = (float) (topValues[i] - logSum);
        return new TokenEvent(id, out, (float) (raw[id] - logSum), Arrays.copyOf(topIds, k), lps);
    }

    /** Tokens generated so far (stop tokens excluded). */
    public int generatedCount() {
        return generated.size();
    }

    /** Tokens a speculative run may still produce: the most rows worth verifying in one pass. */
    public int remainingTokens() {
        return params.maxTokens() - generated.size();
    }

    /** Speculative decoding: a pass verified {@code drafts} drafted tokens and kept {@code kept} of them. */
    public void countDrafts(int drafts, int kept) {
        drafted += drafts;
        accepted += kept;
    }

    /** The last token picked (a stop token included), or -1 before the first. */
    public int lastToken() {
        return last;
    }

    /** Releases text still held back (an incomplete character, a possible stop string's start); once. */
    public void finish() {
        if (finished) return;
        finished = true;
        if (stops.stopped()) return;
        String rest = stops.push(decoder.flush()) + stops.flush();
        if (!rest.isEmpty()) {
            text.append(rest);
            sink.onToken(new TokenEvent(-1, rest, Float.NaN, NO_IDS, NO_VALUES));
        }
    }

    /** The generation's result, after {@link #finish()}. */
    public GenerationResult result(FinishReason reason, int promptTokens, int prefilledTokens, long prefillNanos,
                                   long decodeNanos, int truncatedTokens) {
        return new GenerationResult(text.toString(), generated.toArray(), reason, promptTokens, prefilledTokens,
                prefillNanos, decodeNanos, truncatedTokens, drafted, accepted);
    }
}
