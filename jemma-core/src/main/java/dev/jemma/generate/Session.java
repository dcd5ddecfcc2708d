package dev.jemma.generate;

import dev.jemma.Trace;
import dev.jemma.model.ContextOverflowException;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.ImageRuns;
import dev.jemma.model.InferenceState;
import dev.jemma.model.LinearAdapter;
import dev.jemma.tensor.Arithmetic;
import dev.jemma.tokenizer.StreamingDecoder;
import dev.jemma.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One conversation or completion stream over a shared model: its KV cache, the tokens in it, and
 * the chat history. A new turn only computes tokens the cache does not already hold. Not
 * thread-safe; use one session per thread (the model itself may be shared).
 */
public final class Session implements AutoCloseable {
    private final Gemma3Model model;
    private final Tokenizer tok;
    /** made on first chat use: a raw completion needs no chat tokens in the vocabulary */
    private ChatTemplate template;
    private final InferenceState state;
    private final ContextConfig context;
    private final PrefixReuse reuse;
    private final float[] logits;
    private final int[] one = new int[1];
    private final List<ChatMessage> history = new ArrayList<>();
    private String system;
    /** last sampled token, not yet in the cache (it ended the previous generation) */
    private int pendingToken = -1;
    private Arithmetic arithmetic = Arithmetic.FAST;
    private Speculation speculation;
    /** made on first use from the speculation, kept across generations (a draft model's cache) */
    private Speculator speculator;
    /** the logits of a verification pass's rows */
    private float[] verifyLogits = new float[0];
    private final Runnable onClose;
    private boolean closed;
    public Session(Gemma3Model model, int contextLength) {
        this(model, ContextConfig.of(contextLength));
    }

    public Session(Gemma3Model model, ContextConfig context) {
        this(model, context, null, null);
    }

    /**
     * A session whose every pass applies {@code adapter} (null: the model's own, {@link LinearAdapter#NONE}: the
     * bare base); {@code onClose} (or null) runs once when the session is closed, e.g. to return a lease on it.
     */
    public Session(Gemma3Model model, ContextConfig context, LinearAdapter adapter, Runnable onClose) {
        this(model, context, adapter, onClose, Gemma3Model.DEFAULT_CHUNK);
    }

    /**
     * As above, with passes of up to {@code maxChunk} positions: at least an image's soft tokens for prompts with
     * images (a run is computed in one pass).
     */
    public Session(Gemma3Model model, ContextConfig context, LinearAdapter adapter, Runnable onClose, int maxChunk) {
        this.model = model;
        this.tok = model.tokenizer;
        this.context = context;
        this.onClose = onClose;
        this.state = model.newState(context.contextLength(), maxChunk, context.kvType());
        if (adapter != null) state.useAdapter(adapter);
        this.reuse = new PrefixReuse(state, context.prefixCache());
        this.logits = new float[model.vocabRows()];
    }


    public int contextLength() {
        return state.contextLength;
    }

    /** Sets the system prompt used when the conversation starts (after {@link #reset()}). */
    public void setSystem(String systemText) {
        this.system = systemText == null || systemText.isEmpty() ? null : systemText;
    }

    public List<ChatMessage> history() {
        return Collections.unmodifiableList(history);
    }

    /**
     * The arithmetic of this session's passes: FAST (default), or BATCH_INVARIANT, whose tokens equal the batch
     * scheduler's (the server's) for the same request to the bit. Changing it forgets the cache.
     */
    public void arithmetic(Arithmetic a) {
        if (a != arithmetic) reuse.reset();
        arithmetic = java.util.Objects.requireNonNull(a);
    }

    /**
     * Speculative decoding for this session's generations (null: off): drafted tokens are verified in one pass
     * each, and the tokens generated are exactly those of plain decoding (see {@link Speculation}).
     */
    public void speculation(Speculation s) {
        if (speculator != null) speculator.close();
        speculator = null;
        speculation = s;
    }

    /** Tokens currently held in the KV cache. */
    public int cachedTokens() {
        return state.position();
    }

    /** Forgets the conversation and the cache. */
    public void reset() {
        history.clear();
        reuse.reset();
        pendingToken = -1;
    }

    /** One chat turn: the user's text in, the model's answer streamed to {@code listener}. */
    public GenerationResult chat(String userText, SamplingParams params, TextListener listener) {
        return chat(userText, params, null, listener);
    }

    /** One chat turn whose answer obeys constraint (null = unconstrained). */
    public GenerationResult chat(String userText, SamplingParams params, TokenConstraint constraint, TextListener listener) {
        IntList prompt = new IntList();
        prompt.addAll(reuse.heldTokens());
        if (history.isEmpty()) {
            prompt.clear();
            List<ChatMessage> first = new ArrayList<>();
            if (system != null) first.add(ChatMessage.system(system));
            first.add(ChatMessage.user(userText));
            prompt.addAll(template().render(first, true).toArray());
        } else {
            for (int i = 0; i < prompt.size(); i++) {
                if (prompt.get(i) < 0) {
                    throw new ChatFormatException("this conversation holds images: render each turn whole "
                            + "(VisionEngine.conversation) and call generate with its image runs");
                }
            }
            if (pendingToken >= 0 && pendingToken != template().endOfTurnId()) prompt.add(pendingToken);
            prompt.add(template().endOfTurnId());
            prompt.addAll(template().renderContinuation(List.of(ChatMessage.user(userText))).toArray());
        }
        GenerationResult r = generate(prompt.toArray(), params, constraint, listener);
        history.add(ChatMessage.user(userText));
        history.add(ChatMessage.model(r.text()));
        return r;
    }

    /** A whole conversation rendered with the chat template and answered; the cache is reused where it matches. */
    public GenerationResult chat(List<ChatMessage> messages, SamplingParams params, TextListener listener) {
        return chat(messages, params, null, listener);
    }

    /** A whole conversation answered under constraint (null = unconstrained). */
    public GenerationResult chat(List<ChatMessage> messages, SamplingParams params, TokenConstraint constraint, TextListener listener) {
        GenerationResult r = generate(template().render(messages, true).toArray(), params, constraint, listener);
        history.clear();
        history.addAll(messages);
        history.add(ChatMessage.model(r.text()));
        return r;
    }

    /** A raw completion: BOS + the text as plain tokens, no chat template. */
    public GenerationResult complete(String text, SamplingParams params, TextListener listener) {
        return complete(text, params, null, listener);
    }

    /** A raw completion under constraint (null = unconstrained). */
    public GenerationResult complete(String text, SamplingParams params, TokenConstraint constraint, TextListener listener) {
        IntList prompt = new IntList();
        prompt.add(tok.bosId());
        prompt.addAll(tok.encode(text));
        history.clear();
        return generate(prompt.toArray(), params, constraint, listener);
    }

    /**
     * Generates after exactly these prompt tokens (BOS included if wanted). Tokens already in the
     * cache as a prefix of {@code prompt} are not computed again.
     */
    public GenerationResult generate(int[] prompt, SamplingParams params, TextListener listener) {
        return generate(prompt, params, null, listener);
    }

    /**
     * As {@link #generate(int[], SamplingParams, TextListener)}, with every token chosen within constraint
     * (null = unconstrained): end-of-turn/EOS only where it {@link TokenConstraint#canStop() can stop}, and
     * generation ends with STOP as soon as it {@link TokenConstraint#isComplete() is complete}.
     */
    public GenerationResult generate(int[] prompt, SamplingParams params, TokenConstraint constraint, TextListener listener) {
        return generate(prompt, ImageRuns.NONE, params, constraint, listener);
    }

    /**
     * As above, with image soft tokens: {@code images} fills its runs of {@code prompt} with image embeddings that
     * see their own run both ways. A prompt with images is never truncated.
     */
    public GenerationResult generate(int[] prompt, ImageRuns images, SamplingParams params, TokenConstraint constraint,
                                     TextListener listener) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        int truncated = 0;
        if (prompt.length >= state.contextLength) {
            if (!context.truncateLeft() || images.count() > 0) throw ContextOverflowException.prompt(prompt.length, state.contextLength);
            int[] cut = truncateLeft(prompt, params.maxTokens());
            truncated = prompt.length - cut.length;
            prompt = cut;
        }
        if (Trace.enabled()) Trace.mark("prompt tokenized (" + prompt.length + " tokens)");
        long t0 = System.nanoTime();
        int[] key = images.cacheKey(prompt);
        int kept = reuse.begin(key);
        pendingToken = -1;
        try {
            if (images.count() == 0) {
                model.forward(state, prompt, kept, prompt.length - kept, logits, false, arithmetic);
            } else {
                kept = reuse.keepAtMost(images.resumeAt(kept)); // never resume inside an image
                model.forward(state, prompt, images, kept, logits, false, arithmetic);
            }
        } catch (RuntimeException e) {
            reuse.abandon();
            throw e;
        }
        reuse.prefilled(key);
        long t1 = System.nanoTime();
        Trace.mark("prefill done");

        TokenStep step = new TokenStep(tok, model.vocabRows(), prompt, params, constraint, -1, e -> {
            if (!e.text().isEmpty()) listener.onText(e.text());
        });
        FinishReason finish = speculation == null ? decode(step) : decodeSpeculative(step, prompt);
        pendingToken = step.lastToken();
        step.finish();
        return step.result(finish, prompt.length, prompt.length - kept, t1 - t0, System.nanoTime() - t1, truncated);
    }

    /** One token per pass: the logits hold the prefill's last row. */
    private FinishReason decode(TokenStep step) {
        FinishReason finish;
        while ((finish = step.next(logits, state.position(), state.contextLength)) == null) {
            one[0] = step.lastToken();
            model.forward(state, one, 0, 1, logits, false, arithmetic);
            reuse.appended(one[0]);
        }
        return finish;
    }

    /**
     * Each pass feeds the last token and the drafts after it (see {@link Speculator}). The pass's arithmetic
     * computes every row as a lone decode step would, so the tokens picked are plain decoding's.
     */
    private FinishReason decodeSpeculative(TokenStep step, int[] prompt) {
        if (speculator == null) {
            speculator = new Speculator(speculation.drafter(model, state.contextLength),
                    Math.min(speculation.draftMax(), state.maxChunk - 1));
        }
        Arithmetic verify = arithmetic == Arithmetic.FAST ? Arithmetic.DECODE : arithmetic;
        int vocab = model.vocabRows();
        if (verifyLogits.length < speculator.maxRows() * vocab) verifyLogits = new float[speculator.maxRows() * vocab];
        speculator.start(prompt);
        FinishReason finish = step.next(logits, state.position(), state.contextLength);
        while (finish == null) {
            int p0 = state.position();
            int room = Math.min(state.contextLength - p0 - 1, step.remainingTokens() - 1);
            int rows = speculator.propose(step.lastToken(), room);
            int[] ids = speculator.ids();
            model.forward(state, ids, 0, rows, verifyLogits, true, verify);
            finish = speculator.verify(step, verifyLogits, 0, vocab, logits, p0, state.contextLength);
            reuse.verified(ids, rows, speculator.kept());
        }
        return finish;
    }

    /**
     * The prompt cut from the left to leave room for generation: BOS (if it starts the prompt) and
     * the most recent tokens, keeping free min(max_tokens, a quarter of the context) positions.
     */
    private int[] truncateLeft(int[] prompt, int maxTokens) {
        int room = Math.max(1, Math.min(maxTokens, state.contextLength / 4));
        int keep = state.contextLength - room;
        if (keep < 2) throw ContextOverflowException.prompt(prompt.length, state.contextLength);
        boolean bos = prompt[0] == tok.bosId();
        int[] out = new int[keep];
        int tail = bos ? keep - 1 : keep;
        if (bos) out[0] = prompt[0];
        System.arraycopy(prompt, prompt.length - tail, out, keep - tail, tail);
        return out;
    }

    private ChatTemplate template() {
        if (template == null) template = new ChatTemplate(tok);
        return template;
    }

    public ContextConfig context() {
        return context;
    }

    /** Releases the KV cache; the session cannot be used afterwards. */
    @Override
    public void close() {
        if (speculator != null) speculator.close();
        speculator = null;
        reset();
        state.close();
        if (onClose != null && !closed) onClose.run();
        closed = true;
    }
}
