package dev.jemma.gguf;

import dev.jemma.JemmaException;

/** A model file that is malformed, inconsistent or unsupported. The message names the key, tensor or offset. */
public class ModelFormatException extends JemmaException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
