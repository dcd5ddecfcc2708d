package dev.jemma.hf;

import dev.jemma.gguf.ModelFormatException;

/** A Hugging Face folder Jemma cannot use: the message names the file and what is wrong or missing. */
public class HuggingFaceFormatException extends ModelFormatException {
    public HuggingFaceFormatException(String message) {
        super(message);
    }

    public HuggingFaceFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
