package dev.jemma.model;

import dev.jemma.JemmaException;

/** A KV cache (or other large buffer) that does not fit the memory this machine has free. */
public final class InsufficientMemoryException extends JemmaException {
    public InsufficientMemoryException(String message) {
        super(message);
    }

    public InsufficientMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
