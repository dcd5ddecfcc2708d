package dev.jemma.generate;

import dev.jemma.Trace;
import dev.jemma.model.ContextOverflowException;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InferenceState;
import dev.jemma.model.PrefixCache;
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
    private final ChatTemplate template;
    private final InferenceState state;
    private final ContextConfig context;
    private final float[] logits;
    private final IntList cached = new IntList();
    private final List<ChatMessage> history = new ArrayList<>();
    private final int[] stopIds;
    private String system;
    /** last sampled token, not yet in the cache (it ended the previous generation) */
    private int pendingToken = -1;

    public Session(Gemma3Model model, int contextLength) {
        this(model, ContextConfig.of(contextLength));
    }

    public Session(Gemma3Model model, ContextConfig context) {
        this.model = model;
        this.tok = model.tokenizer;
        this.template = new ChatTemplate(tok);
        this.context = context;
        this.state = model.newState(context.contextLength(), context.kvType());
        this.logits = new float[model.vocabRows()];
        this.stopIds = StopTokens.of(tok);
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

    /** Tokens currently held in the KV cache. */
    public int cachedTokens() {
        return state.position();
    }

    /** Forgets the conversation and the cache. */
    public void reset() {
        history.clear();
        cached.clear();
        state.reset();
        pendingToken = -1;
    }

    /** One chat turn: the user's text in, the model's answer streamed to {@code listener}. */
    public GenerationResult chat(String userText, SamplingParams params, TextListener listener) {
        return chat(userText, params, null, listener);
    }

    /** One chat turn whose answer obeys constraint (null = unconstrained). */
    public GenerationResult chat(String userText, SamplingParams params, TokenConstraint constraint, TextListener listener) {
        IntList prompt = new IntList();
        prompt.addAll(cached.toArray());
        if (history.isEmpty()) {
            prompt.clear();
            List<ChatMessage> first = new ArrayList<>();
            if (system != null) first.add(ChatMessage.system(system));
            first.add(ChatMessage.user(userText));
            prompt.addAll(template.render(first, true).toArray());
        } else {
            if (pendingToken >= 0 && pendingToken != template.endOfTurnId()) prompt.add(pendingToken);
            prompt.add(template.endOfTurnId());
            prompt.addAll(template.renderContinuation(List.of(ChatMessage.user(userText))).toArray());
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
        GenerationResult r = generate(template.render(messages, true).toArray(), params, constraint, listener);
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
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        int truncated = 0;
        if (prompt.length >= state.contextLength) {
            if (!context.truncateLeft()) throw ContextOverflowException.prompt(prompt.length, state.contextLength);
            int[] cut = truncateLeft(prompt, params.maxTokens());
            truncated = prompt.length - cut.length;
            prompt = cut;
        }
        if (Trace.enabled()) Trace.mark("prompt tokenized (" + prompt.length + " tokens)");
        long t0 = System.nanoTime();
        int common = 0;
        int limit = Math.min(cached.size(), prompt.length - 1); // recompute at least the last token for its logits
        while (common < limit && cached.get(common) == prompt[common]) common++;
        int kept = state.rewind(Math.min(common, state.position()));
        PrefixCache shared = context.prefixCache();
        if (shared != null) kept = shared.restore(state, prompt, prompt.length - 1, kept);
        cached.clear();
        for (int i = 0; i < kept; i++) cached.add(prompt[i]);
        boolean recording = shared != null && shared.beginRecording(state, prompt.length, kept);
        try {
            model.forward(state, prompt, kept, prompt.length - kept, logits, false);
        } catch (RuntimeException e) {
            if (recording) shared.abandonRecording(state);
            state.reset();
            cached.clear();
            throw e;
        }
        if (recording) shared.finishRecording(state, prompt);
        for (int i = kept; i < prompt.length; i++) cached.add(prompt[i]);
        pendingToken = -1;
        long t1 = System.nanoTime();
        Trace.mark("prefill done");

        Sampler sampler = new Sampler(params, model.vocabRows(), tok.vocabularySize());
        for (int t : prompt) sampler.accept(t);
        StreamingDecoder decoder = tok.streamingDecoder();
        StopStringFilter stops = new StopStringFilter(params.stop());
        StringBuilder text = new StringBuilder();
        IntList generated = new IntList();
        FinishReason finish = FinishReason.LENGTH;
        int[] one = new int[1];
        float[] stopLogits = new float[stopIds.length];
        while (true) {
            if (constraint != null && constraint.isComplete()) {
                finish = FinishReason.STOP;
                break;
            }
            if (constraint != null) ConstrainedSampling.mask(constraint, logits, stopIds, stopLogits);
            int next = sampler.sample(logits);
            if (generated.size() == 0) Trace.mark("first token");
            if (constraint != null && logits[next] == Float.NEGATIVE_INFINITY) next = ConstrainedSampling.allowedArgmax(logits);
            if (isStop(next)) {
                pendingToken = next;
                finish = FinishReason.STOP;
                break;
            }
            generated.add(next);
            sampler.accept(next);
            if (constraint != null) constraint.accept(next);
            String delta = tok.isControl(next) ? "" : decoder.append(next);
            String out = stops.push(delta);
            if (!out.isEmpty()) {
                text.append(out);
                listener.onText(out);
            }
            if (stops.stopped() || (constraint != null && constraint.isComplete())) {
                pendingToken = next;
                finish = FinishReason.STOP;
                break;
            }
            if (generated.size() >= params.maxTokens() || state.position() + 1 >= state.contextLength) {
                pendingToken = next;
                break;
            }
            one[0] = next;
            model.forward(state, one, 0, 1, logits, false);
            cached.add(next);
        }
        if (!stops.stopped()) {
            String rest = stops.push(decoder.flush());
            rest += stops.flush();
            if (!rest.isEmpty()) {
                text.append(rest);
                listener.onText(rest);
            }
        }
        long t2 = System.nanoTime();
        return new GenerationResult(text.toString(), generated.toArray(), finish, prompt.length,
                prompt.length - kept, t1 - t0, t2 - t1, truncated);
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

    private boolean isStop(int id) {
        for (int s : stopIds) if (s == id) return true;
        return false;
    }

    public ContextConfig context() {
        return context;
    }

    /** Releases the KV cache; the session cannot be used afterwards. */
    @Override
    public void close() {
        reset();
        state.close();
    }
}
