package dev.jemma.gguf;

import dev.jemma.JemmaException;

/** A GGUF file that could not be written (full disk, no permission, a failing source). Names the file; nothing half-written is left. */
public class GGUFWriteException extends JemmaException {
    public GGUFWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
