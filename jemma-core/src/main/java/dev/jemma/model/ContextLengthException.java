package dev.jemma.model;

import dev.jemma.JemmaException;

/** A context length outside [1, the model's trained maximum]. Callers phrase the advice (a flag, a field). */
public final class ContextLengthException extends JemmaException {
    public final int requested;
    public final int maximum;

    public ContextLengthException(int requested, int maximum) {
        super("context length " + requested + " is outside [1, " + maximum + "], the model's trained maximum");
        this.requested = requested;
        this.maximum = maximum;
    }
}
