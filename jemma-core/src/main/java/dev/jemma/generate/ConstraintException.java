package dev.jemma.generate;

import dev.jemma.JemmaException;

/** A grammar, schema or pattern that cannot be compiled or run within the limits; the message says which part. */
public class ConstraintException extends JemmaException {
    public ConstraintException(String message) {
        super(message);
    }
}
