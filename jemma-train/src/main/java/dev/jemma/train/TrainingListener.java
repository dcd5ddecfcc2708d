package dev.jemma.train;

import java.nio.file.Path;

/** Receives a training run's progress, on the training thread. Every method has a do-nothing default. */
public interface TrainingListener {
    /** Before the first step: the run's length, and the step it starts after (0, or the checkpoint's). */
    default void started(long totalSteps, long startStep, int examples) { }

    default void step(StepReport report) { }

    /** After an epoch, when there is an evaluation set: its token-weighted mean loss. */
    default void evaluated(long step, double epoch, double evalLoss) { }

    default void checkpointed(long step, Path checkpoint) { }

    /** One optimizer step: the loss is that step's forward pass's, before the update. */
    record StepReport(long step, long totalSteps, double epoch, double loss, double lr, long tokens,
                      long labelledTokens, double tokensPerSecond, double gradNorm, double elapsedSeconds) { }
}
