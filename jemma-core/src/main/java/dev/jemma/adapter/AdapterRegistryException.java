package dev.jemma.adapter;

import dev.jemma.JemmaException;

/** A registry operation that cannot be done; {@link #kind()} says why (a server maps it to a status code). */
public final class AdapterRegistryException extends JemmaException {
    public enum Kind {
        /** no adapter of that name or id */
        NOT_FOUND,
        /** the name is taken */
        EXISTS,
        /** requests or sessions are using it */
        IN_USE,
        /** it would take the adapters past their memory budget */
        MEMORY,
        /** the name is not a valid model id */
        BAD_NAME
    }

    private final Kind kind;

    public AdapterRegistryException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
