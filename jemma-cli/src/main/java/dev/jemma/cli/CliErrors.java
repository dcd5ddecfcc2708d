package dev.jemma.cli;

import dev.jemma.model.AvailableMemory;
import dev.jemma.model.ContextLengthException;
import dev.jemma.model.ContextOverflowException;
import dev.jemma.model.InsufficientMemoryException;

/** Turns the core's typed errors, which carry numbers, into one line of advice in terms of this CLI's flags. */
final class CliErrors {
    private CliErrors() {
    }

    static String message(Throwable e) {
        return switch (e) {
            case ContextLengthException c -> "--ctx " + c.requested + " must be between 1 and the model's maximum " + c.maximum;
            case ContextOverflowException c -> c.getMessage() + " (raise --ctx up to the model's maximum, shorten the prompt,"
                    + " or pass --truncate to cut it from the left)";
            case InsufficientMemoryException m when m.needed >= 0 -> m.getMessage()
                    + (m.neededAsQ8 >= 0 ? "; with --kv-type q8_0 it needs " + AvailableMemory.mib(m.neededAsQ8) : "")
                    + "; or lower --ctx";
            default -> e.getMessage();
        };
    }
}
