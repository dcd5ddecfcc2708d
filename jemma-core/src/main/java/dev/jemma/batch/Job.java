package dev.jemma.batch;

import dev.jemma.generate.TokenEvent;

import dev.jemma.generate.ConstrainedSampling;
import dev.jemma.generate.FinishReason;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.IntList;
import dev.jemma.generate.Sampler;
import dev.jemma.generate.StopStringFilter;
import dev.jemma.generate.StopTokens;
import dev.jemma.generate.TokenConstraint;
import dev.jemma.model.Gemma3Model;
import dev.jemma.tokenizer.StreamingDecoder;
import dev.jemma.tokenizer.Tokenizer;

/** One request inside the scheduler: its sampling state and output so far. Used by the scheduler thread only, except {@link #cancel}. */
final class Job implements Ticket {
    enum Phase { NEW, PREFILL, DECODE }

    final BatchScheduler owner;
    final GenerationRequest request;
    private final StreamListener listener;
    volatile String cancelReason;
    private volatile boolean done;

    int slot = -1;
    Phase phase = Phase.NEW;
    int kept;
    boolean recording;
    /** the last sampled token, to be fed at the next decode step */
    int pending = -1;
    long prefillNanos, decodeNanos;

    private Tokenizer tok;
    private int[] stopIds;
    private Sampler sampler;
    private StreamingDecoder decoder;
    private StopStringFilter stops;
    private final StringBuilder text = new StringBuilder();
    private final IntList generated = new IntList();
    private float[] stopLogits;
    private float[] raw;
    private int[] topIds;
    private float[] topValues;

    Job(BatchScheduler owner, GenerationRequest request, StreamListener listener) {
        this.owner = owner;
        this.request = request;
        this.listener = listener;
    }

    @Override
    public void cancel() {
        if (done || cancelReason != null) return;
        cancelReason = "cancelled";
        if (owner.dequeue(this)) {
            owner.counters.cancelled.incrementAndGet();
            fail(new GenerationCancelledException("cancelled while waiting for a slot"));
        } else {
            owner.wake();
        }
    }

    @Override
    public boolean isDone() {
        return done;
    }

    /** Sets up sampling once the job has a slot. */
    void start(Gemma3Model model) {
        tok = model.tokenizer;
        stopIds = StopTokens.of(tok);
        sampler = new Sampler(request.params(), model.vocabRows(), tok.vocabularySize());
        for (int t : request.prompt()) sampler.accept(t);
        decoder = tok.streamingDecoder();
        stops = new StopStringFilter(request.params().stop());
        stopLogits = new float[stopIds.length];
        if (request.topLogprobs() >= 0) {
            raw = new float[model.vocabRows()];
            topIds = new int[request.topLogprobs()];
            topValues = new float[request.topLogprobs()];
        }
    }

    /**
     * Picks the next token from logits and streams its text. Returns the finish reason when generation
     * ends here, or null with {@link #pending} set to the token to decode next.
     */
    FinishReason sample(float[] logits, int position, int contextLength) {
        TokenConstraint c = request.constraint();
        if (c != null && c.isComplete()) return FinishReason.STOP;
        double logSum = 0;
        if (raw != null) {
            System.arraycopy(logits, 0, raw, 0, raw.length);
            logSum = LogProbs.logSumExp(raw, tok.vocabularySize());
        }
        if (c != null) ConstrainedSampling.mask(c, logits, stopIds, stopLogits);
        int next = sampler.sample(logits);
        if (c != null && logits[next] == Float.NEGATIVE_INFINITY) next = ConstrainedSampling.allowedArgmax(logits);
        for (int s : stopIds) if (s == next) return FinishReason.STOP;
        generated.add(next);
        sampler.accept(next);
        if (c != null) c.accept(next);
        String delta = tok.isControl(next) ? "" : decoder.append(next);
        String out = stops.push(delta);
        text.append(out);
        float lp = Float.NaN;
        int[] ids = NO_IDS;
        float[] lps = NO_VALUES;
        if (raw != null) {
            lp = (float) (raw[next] - logSum);
            int k = LogProbs.top(raw, tok.vocabularySize(), topIds, topValues);
            ids = java.util.Arrays.copyOf(topIds, k);
            lps = new float[k];
            for (int i = 0; i < k; i++) lps[i] = (float) (topValues[i] - logSum);
        }
        emit(new TokenEvent(next, out, lp, ids, lps));
        if (stops.stopped() || (c != null && c.isComplete())) return FinishReason.STOP;
        if (generated.size() >= request.params().maxTokens() || position + 1 >= contextLength) return FinishReason.LENGTH;
        pending = next;
        return null;
    }

    private static final int[] NO_IDS = new int[0];
    private static final float[] NO_VALUES = new float[0];

    private void emit(TokenEvent e) {
        try {
            listener.onToken(e);
        } catch (RuntimeException ex) {
            cancelReason = "the listener failed: " + ex.getMessage();
        }
    }

    void complete(FinishReason reason) {
        if (done) return;
        if (decoder != null && !stops.stopped()) {
            String rest = stops.push(decoder.flush()) + stops.flush();
            if (!rest.isEmpty()) {
                text.append(rest);
                emit(new TokenEvent(-1, rest, Float.NaN, NO_IDS, NO_VALUES));
            }
        }
        done = true;
        int[] prompt = request.prompt();
        GenerationResult r = new GenerationResult(text.toString(), generated.toArray(), reason, prompt.length,
                prompt.length - kept, prefillNanos, decodeNanos);
        try {
            listener.onComplete(r);
        } catch (RuntimeException ignored) {
            // the listener's own failure cannot be reported to it
        }
    }

    void fail(RuntimeException error) {
        if (done) return;
        done = true;
        try {
            listener.onError(error);
        } catch (RuntimeException ignored) {
            // as above
        }
    }
}
