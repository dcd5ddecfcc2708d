package dev.jemma.train;

/** The loss or the gradients became NaN or infinite; the step was not applied and the last checkpoint stands. */
public final class TrainingDivergedException extends TrainingException {
    public final long step;

    public TrainingDivergedException(long step, String what) {
        super("step " + step + ": " + what + " is not finite; the step was not applied (lower --lr, or add --clip)");
        this.step = step;
    }
}
