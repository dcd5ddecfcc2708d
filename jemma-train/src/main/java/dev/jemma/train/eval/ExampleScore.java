package dev.jemma.train.eval;

import java.util.List;

/**
 * How one generated answer scored: exact text match (ignoring surrounding whitespace), whether it parsed as JSON,
 * and, when the expected answer is a JSON object, which of its fields the answer got right.
 */
public record ExampleScore(boolean exactMatch, boolean validJson, boolean expectedIsObject, List<String> fieldsRight,
                           List<String> fieldsWrong) {
    public ExampleScore {
        fieldsRight = List.copyOf(fieldsRight);
        fieldsWrong = List.copyOf(fieldsWrong);
    }

    /** All expected fields right (only meaningful when the expected answer is an object). */
    public boolean recordRight() {
        return expectedIsObject && fieldsWrong.isEmpty();
    }
}
