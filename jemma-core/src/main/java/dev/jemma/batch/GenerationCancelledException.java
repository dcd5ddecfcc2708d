package dev.jemma.batch;

import dev.jemma.JemmaException;

/** The request was cancelled (client gone, server draining) before it finished. */
public final class GenerationCancelledException extends JemmaException {
    public GenerationCancelledException(String why) {
        super(why);
    }
}
