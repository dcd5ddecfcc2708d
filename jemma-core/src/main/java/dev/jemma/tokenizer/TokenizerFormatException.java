package dev.jemma.tokenizer;

import dev.jemma.gguf.ModelFormatException;

/**
 * Tokenizer data (GGUF {@code tokenizer.ggml.*} metadata or a {@code tokenizer.json}) that is malformed,
 * inconsistent or unsupported. The message names the key or JSON field at fault.
 */
public final class TokenizerFormatException extends ModelFormatException {
    public TokenizerFormatException(String message) {
        super(message);
    }

    public TokenizerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
