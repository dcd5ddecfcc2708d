package dev.jemma.tools;

import dev.jemma.JemmaException;

/** A tool list or tool choice that cannot be used; {@link #pointer()} is the JSON Pointer into the request. */
public class ToolException extends JemmaException {
    private final String pointer;

    public ToolException(String pointer, String message) {
        super((pointer.isEmpty() ? "" : pointer + ": ") + message);
        this.pointer = pointer;
    }

    public ToolException(String pointer, String message, Throwable cause) {
        super((pointer.isEmpty() ? "" : pointer + ": ") + message, cause);
        this.pointer = pointer;
    }

    public String pointer() {
        return pointer;
    }
}
