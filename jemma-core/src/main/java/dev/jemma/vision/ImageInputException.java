package dev.jemma.vision;

import dev.jemma.JemmaException;

/** An image Jemma cannot use: corrupt, truncated, too large, of an unsupported format, or given without a vision tower. */
public final class ImageInputException extends JemmaException {
    public ImageInputException(String message) {
        super(message);
    }

    public ImageInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
