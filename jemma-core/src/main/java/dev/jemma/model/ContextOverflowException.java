package dev.jemma.model;

import dev.jemma.JemmaException;

/** A sequence that would need more positions than its context holds. */
public final class ContextOverflowException extends JemmaException {
    public final int needed;
    public final int contextLength;

    public ContextOverflowException(int needed, int contextLength) {
        this(needed, contextLength, "a sequence of " + needed + " tokens does not fit the context of " + contextLength + " tokens");
    }

    private ContextOverflowException(int needed, int contextLength, String message) {
        super(message);
        this.needed = needed;
        this.contextLength = contextLength;
    }

    /** A prompt that leaves no room to generate: it must be shorter than the context. */
    public static ContextOverflowException prompt(int promptTokens, int contextLength) {
        return new ContextOverflowException(promptTokens + 1, contextLength, "a prompt of " + promptTokens
                + " tokens does not fit the context of " + contextLength + " tokens, which must leave room for at least"
                + " one generated token");
    }
}
