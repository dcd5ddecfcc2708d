package dev.jemma.train.data;

import dev.jemma.generate.IntList;

/** Tokens and their labels appended side by side: learned tokens label themselves, the rest {@link TrainingExample#IGNORE}. */
final class SequenceBuilder {
    private final IntList tokens = new IntList();
    private final IntList labels = new IntList();

    void context(int token) {
        tokens.add(token);
        labels.add(TrainingExample.IGNORE);
    }

    void context(int[] ts) {
        for (int t : ts) context(t);
    }

    void learned(int token) {
        tokens.add(token);
        labels.add(token);
    }

    void learned(int[] ts) {
        for (int t : ts) learned(t);
    }

    TrainingExample build() {
        return new TrainingExample(tokens.toArray(), labels.toArray());
    }
}
