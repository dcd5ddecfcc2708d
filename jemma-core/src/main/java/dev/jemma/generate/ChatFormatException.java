package dev.jemma.generate;

import dev.jemma.JemmaException;

/** A conversation the Gemma chat template cannot express (role order, empty messages). */
public final class ChatFormatException extends JemmaException {
    public ChatFormatException(String message) {
        super(message);
    }
}
