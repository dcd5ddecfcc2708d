package dev.jemma.cli;

import dev.jemma.model.Gemma3Model;
import dev.jemma.model.Projection;
import dev.jemma.train.Trainer;
import dev.jemma.train.TrainingException;
import dev.jemma.train.TrainingListener;
import dev.jemma.train.TrainingOptions;
import dev.jemma.train.data.TrainingData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Fine-tunes a Gemma 3 model (LoRA or full) on a JSONL data set; see docs/TRAINING.md. */
@Command(name = "finetune", description = "Fine-tune the model on JSONL data: a LoRA adapter (llama.cpp format) or a full model GGUF.")
final class FinetuneCommand implements Callable<Integer> {
    @Mixin ModelOptions model;

    @Option(names = "--data", required = true, paramLabel = "TRAIN.jsonl", description = "training examples, one JSON object a line "
            + "({\"messages\":[...]}, {\"prompt\",\"completion\"}, {\"text\"} or {\"input_ids\",\"labels\"})")
    Path data;
    @Option(names = "--eval", paramLabel = "EVAL.jsonl", description = "held-out examples: eval loss after each epoch")
    Path eval;
    @Option(names = "--out", required = true, paramLabel = "OUT.gguf", description = "the adapter (lora) or model (full) to write")
    Path out;
    @Option(names = "--method", description = "lora or full (default: ${DEFAULT-VALUE})")
    String method = "lora";
    @Option(names = "--rank", description = "LoRA rank (default: ${DEFAULT-VALUE})")
    int rank = 16;
    @Option(names = "--alpha", description = "LoRA alpha (default: 2 × rank)")
    Float alpha;
    @Option(names = "--targets", split = ",", description = "projections the adapter covers: q,k,v,o,gate,up,down (default: all)")
    String[] targets = {"q", "k", "v", "o", "gate", "up", "down"};
    @Option(names = "--optimizer", description = "adamw or sgd (default: ${DEFAULT-VALUE})")
    String optimizer = "adamw";
    @Option(names = "--lr", description = "peak learning rate (default: 2e-4 for lora, 5e-5 for full)")
    Double lr;
    @Option(names = "--weight-decay", description = "decoupled weight decay (default: ${DEFAULT-VALUE})")
    double weightDecay = 0.0;
    @Option(names = "--warmup", description = "optimizer steps of linear warm-up (default: ${DEFAULT-VALUE})")
    int warmup = 0;
    @Option(names = "--schedule", description = "constant, linear or cosine decay after warm-up (default: ${DEFAULT-VALUE})")
    String schedule = "linear";
    @Option(names = "--clip", description = "gradient-norm clip, 0 = off (default: ${DEFAULT-VALUE})")
    double clip = 1.0;
    @Option(names = "--epochs", description = "passes over the data (default: 1 unless --steps)")
    Double epochs;
    @Option(names = "--steps", description = "optimizer steps (overrides --epochs)")
    long steps = 0;
    @Option(names = "--batch", description = "examples per micro-step (default: ${DEFAULT-VALUE})")
    int batch = 4;
    @Option(names = "--grad-accum", description = "micro-steps per optimizer step (default: ${DEFAULT-VALUE})")
    int gradAccum = 1;
    @Option(names = "--seq-len", description = "longest example in tokens (default: ${DEFAULT-VALUE})")
    int seqLen = 512;
    @Option(names = "--seed", description = "seed for the adapter's initialisation and the shuffle (default: ${DEFAULT-VALUE})")
    long seed = 42;
    @Option(names = "--no-shuffle", description = "take the examples in file order")
    boolean noShuffle;
    @Option(names = "--freeze-embeddings", description = "full: keep the embedding fixed (saves its gradient and optimizer state)")
    boolean freezeEmbeddings;
    @Option(names = "--out-type", description = "tensor type of the written adapter or model: f32, f16 or bf16 (default: ${DEFAULT-VALUE})")
    String outType = "f32";
    @Option(names = "--log", paramLabel = "LOG.jsonl", description = "one JSON object per optimizer step (appended)")
    Path log;
    @Option(names = "--checkpoint-every", description = "write a checkpoint every N steps (default: only at the end or on a stop)")
    long checkpointEvery = 0;
    @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "where checkpoints go (default: OUT.gguf.ckpt)")
    Path checkpointDir;
    @Option(names = "--resume", paramLabel = "DIR", description = "continue the run whose checkpoint is in DIR")
    Path resume;

    @Override
    public Integer call() throws Exception {
        TrainingOptions options = options();
        Path dir = options.checkpointDir();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new TrainingException("cannot keep checkpoints in " + dir + ": it is a file, not a directory");
        }
        try (Gemma3Model base = model.load()) {
            TrainingData train = TrainingData.load(InputFiles.existing("--data", data), base.tokenizer, seqLen);
            if (train.truncatedCount() > 0) Log.info(train.truncatedCount() + " training examples longer than --seq-len " + seqLen + " were truncated");
            TrainingData evalSet = eval == null ? null : TrainingData.load(InputFiles.existing("--eval", eval), base.tokenizer, seqLen);
            try (Trainer trainer = Trainer.create(base, options, train, evalSet); Writer logOut = openLog()) {
                if (resume != null) {
                    trainer.resume(resume);
                    Log.info("resumed from " + resume + " at step " + trainer.step() + " of " + trainer.totalSteps());
                }
                CountDownLatch done = new CountDownLatch(1);
                Thread hook = new Thread(() -> {
                    trainer.requestStop();
                    try {
                        done.await(10, TimeUnit.MINUTES);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "jemma-finetune-stop");
                Runtime.getRuntime().addShutdownHook(hook);
                try {
                    long finished = trainer.run(new Progress(logOut));
                    trainer.save(out, outType);
                    Log.info((finished < trainer.totalSteps() ? "stopped at step " + finished + " of " + trainer.totalSteps()
                            + "; continue with --resume " + options.checkpointDir() + "; " : "") + "wrote " + out);
                } finally {
                    done.countDown();
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook is running: it has what it waited for
                    }
                }
            }
        }
        return 0;
    }

    private TrainingOptions options() {
        TrainingOptions.Method m = switch (method.toLowerCase(Locale.ROOT)) {
            case "lora" -> TrainingOptions.Method.LORA;
            case "full" -> TrainingOptions.Method.FULL;
            default -> throw new TrainingException("--method must be lora or full, got '" + method + "'");
        };
        Set<Projection> t = EnumSet.noneOf(Projection.class);
        for (String s : targets) {
            t.add(switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "q", "q_proj" -> Projection.Q;
                case "k", "k_proj" -> Projection.K;
                case "v", "v_proj" -> Projection.V;
                case "o", "o_proj" -> Projection.O;
                case "gate", "gate_proj" -> Projection.GATE;
                case "up", "up_proj" -> Projection.UP;
                case "down", "down_proj" -> Projection.DOWN;
                default -> throw new TrainingException("--targets: unknown projection '" + s + "' (use q,k,v,o,gate,up,down)");
            });
        }
        if (!Set.of("f32", "f16", "bf16").contains(outType)) throw new TrainingException("--out-type must be f32, f16 or bf16, got '" + outType + "'");
        TrainingOptions.Builder b = TrainingOptions.builder().method(m).rank(rank).targets(t)
                .optimizer(switch (optimizer.toLowerCase(Locale.ROOT)) {
                    case "adamw" -> TrainingOptions.Optimizer.ADAMW;
                    case "sgd" -> TrainingOptions.Optimizer.SGD;
                    default -> throw new TrainingException("--optimizer must be adamw or sgd, got '" + optimizer + "'");
                })
                .lr(lr != null ? lr : m == TrainingOptions.Method.LORA ? 2e-4 : 5e-5)
                .weightDecay(weightDecay).warmup(warmup)
                .schedule(switch (schedule.toLowerCase(Locale.ROOT)) {
                    case "constant" -> TrainingOptions.Schedule.CONSTANT;
                    case "linear" -> TrainingOptions.Schedule.LINEAR;
                    case "cosine" -> TrainingOptions.Schedule.COSINE;
                    default -> throw new TrainingException("--schedule must be constant, linear or cosine, got '" + schedule + "'");
                })
                .clip(clip).epochs(epochs != null ? epochs : 1).steps(steps).batch(batch).gradAccum(gradAccum).seqLen(seqLen)
                .seed(seed).shuffle(!noShuffle).freezeEmbeddings(freezeEmbeddings).threads(model.threads)
                .checkpointEvery(checkpointEvery)
                .checkpointDir(resume != null ? resume : checkpointDir != null ? checkpointDir : Path.of(out + ".ckpt"));
        if (alpha != null) b.alpha(alpha);
        return b.build();
    }

    private Writer openLog() throws IOException {
        if (log == null) return Writer.nullWriter();
        return Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Progress on stderr, one JSON line per step in the log. */
    private static final class Progress implements TrainingListener {
        private final Writer log;
        private long firstStep;

        Progress(Writer log) {
            this.log = log;
        }

        @Override
        public void started(long total, long start, int examples) {
            firstStep = start;
            Log.info(String.format("training on %,d examples for %,d steps%s", examples, total, start > 0 ? " from step " + start : ""));
        }

        @Override
        public void step(StepReport r) {
            long done = r.step() - firstStep;
            double eta = done == 0 ? 0 : r.elapsedSeconds() / done * (r.totalSteps() - r.step());
            System.err.printf(Locale.ROOT, "\rjemma: step %d/%d  epoch %.2f  loss %.4f  lr %.2e  %.0f tok/s  ETA %s   ",
                    r.step(), r.totalSteps(), r.epoch(), r.loss(), r.lr(), r.tokensPerSecond(), duration(eta));
            if (r.step() == r.totalSteps()) System.err.println();
            write(String.format(Locale.ROOT, "{\"step\":%d,\"epoch\":%.6f,\"loss\":%.8f,\"lr\":%.8e,\"tokens\":%d,\"labelled_tokens\":%d,"
                            + "\"tokens_per_second\":%.3f,\"grad_norm\":%.8f,\"elapsed_seconds\":%.3f}",
                    r.step(), r.epoch(), r.loss(), r.lr(), r.tokens(), r.labelledTokens(), r.tokensPerSecond(), r.gradNorm(), r.elapsedSeconds()));
        }

        @Override
        public void evaluated(long step, double epoch, double evalLoss) {
            System.err.printf(Locale.ROOT, "%njemma: epoch %.2f  eval loss %.4f%n", epoch, evalLoss);
            write(String.format(Locale.ROOT, "{\"step\":%d,\"epoch\":%.6f,\"eval_loss\":%.8f}", step, epoch, evalLoss));
        }

        @Override
        public void checkpointed(long step, Path checkpoint) {
            Log.info("checkpoint at step " + step + ": " + checkpoint);
        }

        private void write(String line) {
            try {
                log.write(line);
                log.write('\n');
                log.flush();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot write the training log: " + e.getMessage(), e);
            }
        }

        private static String duration(double s) {
            long t = Math.round(s);
            return t >= 3600 ? String.format("%dh%02dm", t / 3600, t / 60 % 60) : String.format("%dm%02ds", t / 60, t % 60);
        }
    }
}
