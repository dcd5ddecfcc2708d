package dev.jemma.constrain;

import dev.jemma.generate.ConstraintException;

/**
 * A JSON Schema that is malformed, outside the supported subset, or too large. {@link #pointer()} is the JSON
 * Pointer (RFC 6901) of the offending keyword, so a server can answer 400 naming it.
 */
public class SchemaException extends ConstraintException {
    private final String pointer;

    public SchemaException(String pointer, String message) {
        super((pointer.isEmpty() ? "schema" : "schema at " + pointer) + ": " + message);
        this.pointer = pointer;
    }

    public String pointer() {
        return pointer;
    }
}
