package dev.jemma.train;

import dev.jemma.model.Projection;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/**
 * Everything that defines a training run, with the defaults of `jemma finetune`. Immutable; change with the
 * {@code with} methods of {@link Builder}.
 *
 * @param steps            optimizer steps; 0 = from {@code epochs}
 * @param batch            examples per micro-step
 * @param gradAccum        micro-steps per optimizer step (effective batch = batch × gradAccum)
 * @param microBatchTokens most tokens one forward/backward pass takes (memory bound; results do not depend on it)
 * @param warmup           optimizer steps of linear warm-up
 */
public record TrainingOptions(
        Method method, int rank, float alpha, Set<Projection> targets,
        Optimizer optimizer, double lr, double weightDecay, int warmup, Schedule schedule, double clip,
        double epochs, long steps, int batch, int gradAccum, int seqLen, long seed, boolean shuffle,
        boolean freezeEmbeddings, int threads, int microBatchTokens, long checkpointEvery, Path checkpointDir) {

    public enum Method { LORA, FULL }

    public enum Optimizer { ADAMW, SGD }

    public enum Schedule { CONSTANT, LINEAR, COSINE }

    public TrainingOptions {
        targets = Set.copyOf(targets);
        if (method == Method.LORA && (rank < 1 || rank > 4096)) throw new TrainingException("--rank must be in [1, 4096], got " + rank);
        if (method == Method.LORA && targets.isEmpty()) throw new TrainingException("--targets names no projection");
        if (!(lr > 0) || !Double.isFinite(lr)) throw new TrainingException("--lr must be a positive number, got " + lr);
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) throw new TrainingException("--weight-decay must be ≥ 0, got " + weightDecay);
        if (warmup < 0) throw new TrainingException("--warmup must be ≥ 0, got " + warmup);
        if (!(clip >= 0)) throw new TrainingException("--clip must be ≥ 0 (0 = off), got " + clip);
        if (batch < 1) throw new TrainingException("--batch must be ≥ 1, got " + batch);
        if (gradAccum < 1) throw new TrainingException("--grad-accum must be ≥ 1, got " + gradAccum);
        if (seqLen < 2) throw new TrainingException("--seq-len must be ≥ 2, got " + seqLen);
        if (steps < 0) throw new TrainingException("--steps must be ≥ 0, got " + steps);
        if (steps == 0 && !(epochs > 0)) throw new TrainingException("give --epochs (> 0) or --steps");
        if (threads < 1) throw new TrainingException("--threads must be ≥ 1, got " + threads);
        if (checkpointEvery < 0) throw new TrainingException("--checkpoint-every must be ≥ 0, got " + checkpointEvery);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Optimizer steps for a data set of {@code rows} examples. */
    public long totalSteps(int rows) {
        if (steps > 0) return steps;
        return Math.max(1, (long) Math.ceil(epochs * rows / ((double) batch * gradAccum)));
    }

    /**
     * The learning rate of optimizer step {@code step} (1-based) of {@code total}, as transformers' schedulers give
     * it (get_constant/linear/cosine_schedule_with_warmup with the 0-based step s = step − 1): s / warmup during the
     * warm-up, then constant, or decaying linearly as (total − s) / (total − warmup), or by half a cosine.
     */
    public double learningRate(long step, long total) {
        long s = step - 1;
        if (s < warmup) return lr * s / Math.max(1, warmup);
        double progress = (double) (s - warmup) / Math.max(1, total - warmup);
        return switch (schedule) {
            case CONSTANT -> lr;
            case LINEAR -> lr * Math.max(0, (double) (total - s) / Math.max(1, total - warmup));
            case COSINE -> lr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
        };
    }

    /** The settings a resumed run must share with the run that wrote the checkpoint. */
    String fingerprint() {
        return method + "|" + rank + "|" + alpha + "|" + new java.util.TreeSet<>(targets) + "|" + optimizer + "|" + lr + "|"
                + weightDecay + "|" + warmup + "|" + schedule + "|" + clip + "|" + epochs + "|" + steps + "|" + batch + "|"
                + gradAccum + "|" + seqLen + "|" + seed + "|" + shuffle + "|" + freezeEmbeddings;
    }

    public static final class Builder {
        private Method method = Method.LORA;
        private int rank = 16;
        private Float alpha;
        private Set<Projection> targets = EnumSet.allOf(Projection.class);
        private Optimizer optimizer = Optimizer.ADAMW;
        private double lr = 2e-4, weightDecay = 0.0, clip = 1.0, epochs = 1;
        private int warmup = 0, batch = 4, gradAccum = 1, seqLen = 512, threads = Runtime.getRuntime().availableProcessors();
        private Schedule schedule = Schedule.LINEAR;
        private long steps = 0, seed = 42, checkpointEvery = 0;
        private boolean shuffle = true, freezeEmbeddings = false;
        private int microBatchTokens = 0;
        private Path checkpointDir;

        public Builder method(Method m) { method = m; return this; }
        public Builder rank(int r) { rank = r; return this; }
        public Builder alpha(float a) { alpha = a; return this; }
        public Builder targets(Set<Projection> t) { targets = t; return this; }
        public Builder optimizer(Optimizer o) { optimizer = o; return this; }
        public Builder lr(double v) { lr = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder warmup(int v) { warmup = v; return this; }
        public Builder schedule(Schedule s) { schedule = s; return this; }
        public Builder clip(double v) { clip = v; return this; }
        public Builder epochs(double v) { epochs = v; return this; }
        public Builder steps(long v) { steps = v; return this; }
        public Builder batch(int v) { batch = v; return this; }
        public Builder gradAccum(int v) { gradAccum = v; return this; }
        public Builder seqLen(int v) { seqLen = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder shuffle(boolean v) { shuffle = v; return this; }
        public Builder freezeEmbeddings(boolean v) { freezeEmbeddings = v; return this; }
        public Builder threads(int v) { threads = v; return this; }
        public Builder microBatchTokens(int v) { microBatchTokens = v; return this; }
        public Builder checkpointEvery(long v) { checkpointEvery = v; return this; }
        public Builder checkpointDir(Path p) { checkpointDir = p; return this; }

        public TrainingOptions build() {
            float a = alpha != null ? alpha : 2f * rank;
            int micro = microBatchTokens > 0 ? microBatchTokens : Math.max(seqLen, 512);
            if (micro < seqLen) throw new TrainingException("the micro-batch (" + micro + " tokens) must hold one sequence of --seq-len " + seqLen);
            return new TrainingOptions(method, rank, a, targets, optimizer, lr, weightDecay, warmup, schedule, clip, epochs, steps,
                    batch, gradAccum, seqLen, seed, shuffle, freezeEmbeddings, threads, micro, checkpointEvery, checkpointDir);
        }
    }
}
