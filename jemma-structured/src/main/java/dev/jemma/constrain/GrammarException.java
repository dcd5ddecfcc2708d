package dev.jemma.constrain;

import dev.jemma.generate.ConstraintException;

/** A GBNF grammar that does not parse, is unsafe (left recursion, a repeated empty match) or exceeds the limits. */
public class GrammarException extends ConstraintException {
    public GrammarException(String message) {
        super(message);
    }
}
