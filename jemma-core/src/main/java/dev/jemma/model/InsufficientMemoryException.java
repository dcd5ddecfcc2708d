package dev.jemma.model;

import dev.jemma.JemmaException;

/** A KV cache (or other large buffer) that does not fit the memory this machine has free. */
public final class InsufficientMemoryException extends JemmaException {
    /** bytes needed and available; for a KV cache, what a q8_0 cache would need (else -1) */
    public final long needed, available, neededAsQ8;

    public InsufficientMemoryException(String message, long needed, long available, long neededAsQ8) {
        super(message);
        this.needed = needed;
        this.available = available;
        this.neededAsQ8 = neededAsQ8;
    }

    public InsufficientMemoryException(String message, Throwable cause) {
        super(message, cause);
        this.needed = -1;
        this.available = -1;
        this.neededAsQ8 = -1;
    }
}
