package dev.jemma.spark;

import dev.jemma.JemmaException;

/** A Spark job of Jemma's cannot run: a missing model on an executor, an output column that already exists. */
public final class JemmaSparkException extends JemmaException {
    public JemmaSparkException(String message) {
        super(message);
    }

    public JemmaSparkException(String message, Throwable cause) {
        super(message, cause);
    }
}
