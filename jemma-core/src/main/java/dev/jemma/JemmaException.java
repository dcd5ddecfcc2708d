package dev.jemma;

/** Base of every error Jemma reports on purpose: the message names what is wrong and, where it can, what to do. */
public class JemmaException extends RuntimeException {
    public JemmaException(String message) {
        super(message);
    }

    public JemmaException(String message, Throwable cause) {
        super(message, cause);
    }
}
