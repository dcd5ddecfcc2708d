package dev.jemma.train;

import dev.jemma.adapter.BaseLayout;
import dev.jemma.model.AvailableMemory;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.InsufficientMemoryException;
import dev.jemma.model.Projection;
import dev.jemma.tensor.GGMLType;
import dev.jemma.train.data.BatchOrder;
import dev.jemma.train.data.TrainingData;
import dev.jemma.train.data.TrainingExample;

import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A fine-tuning run: LoRA or full, AdamW or SGD, over a {@link TrainingData} set in the order of a
 * {@link BatchOrder}. Optimizer step t (from 0) takes batches t·K … t·K + K − 1 (K = gradient accumulation); its
 * loss is the token-weighted mean cross-entropy over every labelled position of those B·K examples, and the
 * gradient is that loss's. Checkpoints (every N steps, and when a stop is requested) hold everything needed to
 * resume with bit-identical results. Not thread-safe, except {@link #requestStop()}.
 */
public final class Trainer implements AutoCloseable {
    private final TrainingOptions options;
    private final TrainableModel trainable;
    private final TrainingData train, eval;
    private final BatchOrder order;
    private final Backward backward;
    private final AdamW adamw;
    private final long totalSteps;
    private final String dataFingerprint;
    private long step;
    private volatile boolean stopRequested;
    private final int maxSequences;
    private final int[][] microTokens, microLabels;

    private Trainer(Gemma3Model base, TrainingOptions options, TrainingData train, TrainingData eval) {
        if (train.size() == 0) throw new TrainingException("the training set is empty");
        checkMemory(base, options, Runtime.getRuntime().maxMemory() - usedHeap(), AvailableMemory.bytes());
        this.options = options;
        this.train = train;
        this.eval = eval;
        this.order = new BatchOrder(train.size(), options.batch(), options.shuffle(), options.seed());
        this.totalSteps = options.totalSteps(train.size());
        this.trainable = options.method() == TrainingOptions.Method.LORA
                ? TrainableModel.lora(base, options.rank(), options.alpha(), options.targets(), options.seed())
                : TrainableModel.full(base, options.freezeEmbeddings());
        // sequences one pass may hold: each needs its own KV cache, so at most 64, and never more than a step has
        this.maxSequences = Math.max(1, Math.min(64, Math.min(options.batch() * options.gradAccum(), options.microBatchTokens() / 8)));
        this.microTokens = new int[maxSequences][];
        this.microLabels = new int[maxSequences][];
        try {
            this.backward = new Backward(trainable.model, trainable.lora, options.threads(), options.microBatchTokens(),
                    options.seqLen(), maxSequences);
        } catch (RuntimeException e) {
            trainable.close();
            throw e;
        }
        this.adamw = new AdamW(trainable.params, 0.9, 0.999, 1e-8, options.weightDecay());
        this.dataFingerprint = fingerprint(train);
    }

    /**
     * Fails with the numbers when the run's heap (activations of a micro-batch, gradients, optimizer moments) or
     * native memory (the f32 copy of a fully fine-tuned model) does not fit, before anything large is allocated.
     */
    static void checkMemory(Gemma3Model base, TrainingOptions o, long heapFree, long nativeFree) {
        GemmaConfig c = base.config;
        long params = 0, body = 0;
        for (int l = 0; l < c.layers(); l++) {
            for (Projection p : Projection.values()) body += (long) BaseLayout.inputs(c, p) * BaseLayout.outputs(c, p);
            body += 4L * c.hidden() + 2L * c.headDim();
        }
        long embedding = (long) base.vocabRows() * c.hidden();
        long heap = Backward.bytes(c, base.vocabRows(), o.threads(), o.microBatchTokens());
        long off = 0;
        if (o.method() == TrainingOptions.Method.LORA) {
            for (Projection p : o.targets()) params += (long) c.layers() * o.rank() * (BaseLayout.inputs(c, p) + BaseLayout.outputs(c, p));
            heap += 16L * params;
        } else {
            long trained = body + (o.freezeEmbeddings() ? 0 : embedding);
            heap += 12L * trained;
            off = 4L * (body + embedding);
        }
        if (heap > heapFree) {
            throw new InsufficientMemoryException(String.format("this run needs %s of heap (activations of %d-token micro-batches%s), "
                            + "but only %s is free; give more with JEMMA_HEAP (e.g. JEMMA_HEAP=%dg)%s",
                    AvailableMemory.mib(heap), o.microBatchTokens(), o.method() == TrainingOptions.Method.FULL ? ", gradients and AdamW moments" : "",
                    AvailableMemory.mib(heapFree), (heap >> 30) + 2,
                    o.method() == TrainingOptions.Method.FULL && !o.freezeEmbeddings()
                            ? "; --freeze-embeddings saves " + AvailableMemory.mib(12L * embedding) : ""), heap, heapFree, -1);
        }
        if (off > nativeFree) {
            throw new InsufficientMemoryException(String.format("full fine-tuning holds an f32 copy of the model, %s, but only %s of memory is available",
                    AvailableMemory.mib(off), AvailableMemory.mib(nativeFree)), off, nativeFree, -1);
        }
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    /** A run on {@code base} (not closed by the trainer). {@code eval} may be null. */
    public static Trainer create(Gemma3Model base, TrainingOptions options, TrainingData train, TrainingData eval) {
        return new Trainer(base, options, train, eval);
    }

    public long totalSteps() {
        return totalSteps;
    }

    /** Optimizer steps taken so far. */
    public long step() {
        return step;
    }

    /** The model being trained: the base with the adapter attached by the caller (LoRA), or the trained copy (full). */
    public Gemma3Model model() {
        return trainable.model;
    }

    /** The adapter being trained, or null for full fine-tuning. */
    public dev.jemma.adapter.LoraAdapter adapter() {
        return trainable.lora;
    }

    /** Asks the run to stop after the current step and write a checkpoint (from any thread, e.g. a signal hook). */
    public void requestStop() {
        stopRequested = true;
    }

    /** Continues from the checkpoint in {@code dir}, which must come from a run with the same options and data. */
    public void resume(Path dir) throws IOException {
        Checkpoint.Header h = Checkpoint.readHeader(dir);
        if (!h.options().equals(options.fingerprint())) {
            throw new TrainingException("the checkpoint in " + dir + " was written with other training options (" + h.options()
                    + "); resume with the same options");
        }
        if (!h.data().equals(dataFingerprint)) throw new TrainingException("the checkpoint in " + dir + " was trained on other data");
        if (h.threads() != options.threads()) {
            throw new TrainingException("the checkpoint in " + dir + " was written with --threads " + h.threads()
                    + "; resume with the same number for bit-identical results");
        }
        Checkpoint.read(dir, trainable.params, adamw);
        step = h.step();
    }

    /** Trains to the last step or until a stop is requested; returns the steps taken in all (resumed ones included). */
    public long run(TrainingListener listener) throws IOException {
        listener.started(totalSteps, step, train.size());
        long start = System.nanoTime();
        double epochs = (double) train.size() / ((long) options.batch() * options.gradAccum());
        while (step < totalSteps) {
            long t0 = System.nanoTime();
            long[] counts = new long[2];
            double loss = forwardBackward(step, counts);
            if (!Double.isFinite(loss)) throw new TrainingDivergedException(step + 1, "the loss (" + loss + ")");
            double norm = AdamW.clip(trainable.params, options.clip());
            if (!Double.isFinite(norm)) throw new TrainingDivergedException(step + 1, "the gradient norm (" + norm + ")");
            double lr = options.learningRate(step + 1, totalSteps);
            if (options.optimizer() == TrainingOptions.Optimizer.ADAMW) adamw.update(lr);
            else sgd(lr);
            step++;
            double secs = (System.nanoTime() - t0) / 1e9;
            listener.step(new TrainingListener.StepReport(step, totalSteps, step / epochs, loss, lr, counts[0], counts[1],
                    counts[0] / secs, norm, (System.nanoTime() - start) / 1e9));
            boolean epochEnd = Math.floor(step / epochs) > Math.floor((step - 1) / epochs) || step == totalSteps;
            if (eval != null && epochEnd) listener.evaluated(step, step / epochs, evalLoss());
            boolean stop = stopRequested;
            if (options.checkpointDir() != null && (stop || step == totalSteps
                    || (options.checkpointEvery() > 0 && step % options.checkpointEvery() == 0))) {
                checkpoint();
                listener.checkpointed(step, options.checkpointDir().resolve(Checkpoint.FILE));
            }
            if (stop) break;
        }
        return step;
    }

    /**
     * Writes the result: LoRA, the adapter in llama.cpp's format ({@code type} ignored: adapters are f32); full, the
     * whole model as a GGUF with matrices of {@code type} ("f32", "f16" or "bf16"). Atomic.
     */
    public void save(Path out, String type) {
        GGMLType t = switch (type) {
            case "f32" -> GGMLType.F32;
            case "f16" -> GGMLType.F16;
            case "bf16" -> GGMLType.BF16;
            default -> throw new TrainingException("the output type must be f32, f16 or bf16, got '" + type + "'");
        };
        if (trainable.lora != null) {
            trainable.lora.write(out, t);
            return;
        }
        ModelExport.write(trainable.model, trainable.params, trainable.frozen, t, out);
    }

    /** Writes the checkpoint now (the run's directory must be set). */
    public void checkpoint() throws IOException {
        if (options.checkpointDir() == null) throw new TrainingException("no checkpoint directory was given");
        Checkpoint.write(options.checkpointDir(), new Checkpoint.Header(step, options.fingerprint(), dataFingerprint, options.threads()),
                trainable.params, adamw);
    }

    /** Token-weighted mean loss over the evaluation set, with the current weights. */
    public double evalLoss() {
        if (eval == null) throw new TrainingException("no evaluation set");
        double sum = 0;
        long labelled = 0;
        List<TrainingExample> rows = eval.examples();
        for (int i = 0; i < rows.size(); ) {
            int n = 0, tokens = 0;
            while (i < rows.size() && n < maxSequences && tokens + rows.get(i).length() <= options.microBatchTokens()) {
                TrainingExample e = rows.get(i++);
                microTokens[n] = e.tokens();
                microLabels[n++] = e.labels();
                tokens += e.length();
                labelled += e.labelledCount();
            }
            if (n == 0) throw new TrainingException("an evaluation example of " + rows.get(i).length() + " tokens exceeds the micro-batch");
            sum += backward.loss(microTokens, microLabels, 0, n);
        }
        return labelled == 0 ? Double.NaN : sum / labelled;
    }

    /** Loss and gradients of optimizer step {@code t} (from 0); counts[0] = tokens, counts[1] = labelled positions. */
    private double forwardBackward(long t, long[] counts) {
        trainable.grads.zero();
        int k = options.gradAccum();
        int[][] batches = new int[k][];
        long labelled = 0, tokens = 0;
        for (int j = 0; j < k; j++) {
            batches[j] = order.batch(t * k + j);
            for (int row : batches[j]) {
                labelled += train.get(row).labelledCount();
                tokens += train.get(row).length();
            }
        }
        counts[0] = tokens;
        counts[1] = labelled;
        if (labelled == 0) return 0;
        float scale = (float) (1.0 / labelled);
        double sum = 0;
        int n = 0, used = 0, cap = maxSequences;
        for (int[] batch : batches) {
            for (int row : batch) {
                TrainingExample e = train.get(row);
                if (n == cap || used + e.length() > options.microBatchTokens()) {
                    sum += backward.run(microTokens, microLabels, 0, n, scale, trainable.grads);
                    n = 0;
                    used = 0;
                }
                microTokens[n] = e.tokens();
                microLabels[n++] = e.labels();
                used += e.length();
            }
        }
        if (n > 0) sum += backward.run(microTokens, microLabels, 0, n, scale, trainable.grads);
        return sum / labelled;
    }

    private void sgd(double lr) {
        float[] block = new float[4096];
        double wd = options.weightDecay();
        for (Parameter p : trainable.params) {
            for (int off = 0; off < p.size; off += block.length) {
                int n = Math.min(block.length, p.size - off);
                p.read(off, block, n);
                for (int j = 0; j < n; j++) block[j] -= (float) (lr * (p.grad[off + j] + wd * (block[j] - p.decayCentre)));
                p.write(off, block, n);
            }
        }
    }

    private static String fingerprint(TrainingData data) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8);
            for (TrainingExample e : data.examples()) {
                for (int[] a : new int[][] {e.tokens(), e.labels()}) {
                    md.update(b.clear().putInt(a.length).flip());
                    for (int x : a) md.update(b.clear().putInt(x).flip());
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        backward.close();
        trainable.close();
    }
}
