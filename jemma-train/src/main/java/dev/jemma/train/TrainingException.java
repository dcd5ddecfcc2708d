package dev.jemma.train;

import dev.jemma.JemmaException;

/** A training run that cannot start or go on: bad options, a checkpoint that does not match, a diverged loss. */
public class TrainingException extends JemmaException {
    public TrainingException(String message) {
        super(message);
    }

    public TrainingException(String message, Throwable cause) {
        super(message, cause);
    }
}
