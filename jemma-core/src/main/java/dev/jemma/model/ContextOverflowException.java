package dev.jemma.model;

import dev.jemma.JemmaException;

/** A sequence that would need more positions than its context holds. */
public final class ContextOverflowException extends JemmaException {
    public final int needed;
    public final int contextLength;

    public ContextOverflowException(int needed, int contextLength) {
        super("sequence of " + needed + " tokens does not fit the context of " + contextLength
                + " tokens (raise --ctx, up to the model's maximum, or shorten the prompt)");
        this.needed = needed;
        this.contextLength = contextLength;
    }
}
