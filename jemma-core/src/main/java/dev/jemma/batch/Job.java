package dev.jemma.batch;

import dev.jemma.generate.FinishReason;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.PrefixReuse;
import dev.jemma.generate.Speculator;
import dev.jemma.generate.TokenEvent;
import dev.jemma.generate.TokenStep;
import dev.jemma.model.Gemma3Model;

/** One request inside the scheduler: its slot, phase and token step. Used by the scheduler thread only, except {@link #cancel}. */
final class Job implements Ticket {
    enum Phase { NEW, PREFILL, DECODE }

    final BatchScheduler owner;
    final GenerationRequest request;
    private final StreamListener listener;
    volatile String cancelReason;
    private volatile boolean done;

    int slot = -1;
    Phase phase = Phase.NEW;
    /** prompt positions restored from a cache */
    int kept;
    /** the slot's prefix protocol, while the job holds the slot */
    PrefixReuse reuse;
    long prefillNanos, decodeNanos;
    private TokenStep step;

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

    /** Sets up the token step once the job has a slot. */
    private int[] key;

    /** The prompt's ids (image rows hold the soft token's id; their embeddings come from the request's runs). */
    int[] ids() {
        return request.prompt();
    }

    /** The prompt as the prefix cache compares it: image runs keyed by their content. */
    int[] key() {
        if (key == null) key = request.images().cacheKey(request.prompt());
        return key;
    }

    void start(Gemma3Model model) {
        step = new TokenStep(model.tokenizer, model.vocabRows(), request.prompt(), request.params(), request.constraint(),
                request.topLogprobs(), this::emit);
    }

    /** The next token from the logits (see {@link TokenStep#next}); null means {@link #pending()} is to be decoded. */
    FinishReason sample(float[] logits, int position, int contextLength) {
        return step.next(logits, position, contextLength);
    }

    /** Walks a verification pass's rows through the step (see {@link Speculator#verify}). */
    FinishReason verify(Speculator spec, float[] logits, int off, int vocab, float[] row, int position, int contextLength) {
        return spec.verify(step, logits, off, vocab, row, position, contextLength);
    }

    /** Tokens this request may still generate. */
    int remainingTokens() {
        return step.remainingTokens();
    }

    /** The token to feed at the next decode step. */
    int pending() {
        return step.lastToken();
    }

    private void emit(TokenEvent e) {
        try {
            listener.onToken(e);
        } catch (RuntimeException ex) {
            cancelReason = "the listener failed: " + ex.getMessage();
        }
    }

    void complete(FinishReason reason) {
        if (done) return;
        if (step != null) step.finish();
        done = true;
        int[] prompt = request.prompt();
        try {
            listener.onComplete(step == null ? new GenerationResult("", new int[0], reason, prompt.length, 0, 0, 0)
                    : step.result(reason, prompt.length, prompt.length - kept, prefillNanos, decodeNanos, 0));
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
