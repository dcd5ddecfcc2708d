package dev.jemma.model;


import dev.jemma.JemmaException;
import dev.jemma.Trace;
import dev.jemma.gguf.GGUFFile;
import dev.jemma.model.ActivationRecorder.Stage;
import dev.jemma.tensor.Arithmetic;
import dev.jemma.tensor.Kernels;
import dev.jemma.tensor.MatMul;
import dev.jemma.tensor.Rows;
import dev.jemma.tensor.WeightMatrix;
import dev.jemma.tensor.WorkerPool;
import dev.jemma.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A loaded Gemma 3 text model: config, memory-mapped weights, tokenizer and a fixed worker pool.
 * Immutable and safe to share between threads; each sequence runs in its own {@link InferenceState}.
 * Forward passes are serialized on the model's worker pool.
 *
 * <p>One forward pass ({@link #forward(ForwardBatch)}) serves every batch shape: a prefill chunk, one decode
 * token, decode steps of many sequences, draft tokens to verify, and their mixtures. The layer follows
 * transformers' modeling_gemma3.py (see docs/GEMMA3.md), with activations in f32.
 */
public final class Gemma3Model implements AutoCloseable {
    /**
     * Tokens processed together in one chunk of a prefill. Each weight row is dequantized once per chunk, so a
     * chunk of 32 spent about a fifth of prefill dequantizing; 128 made pp512 11–30% faster in an A/B run (256 and
     * 512 gave no more), for about 6 MB more activations on a 1B.
     */
    public static final int DEFAULT_CHUNK = 128;

    /**
     * Chunk for passes that keep every position's logits (perplexity, logits dumps): the logits buffer is
     * chunk × vocabulary floats, 32 MiB here for a 262,144-token vocabulary.
     */
    public static final int ALL_LOGITS_CHUNK = 32;

    public final GGUFFile file;
    public final GemmaConfig config;
    public final GemmaWeights weights;
    public final Tokenizer tokenizer;
    private final WorkerPool pool;
    private final MatMul matmul;
    private final Attention attention;
    private final Activations act;
    /** what new sequences run with: a low-rank adapter (or a sum of them), or null */
    private volatile LinearAdapter adapter;
    private volatile boolean statesMade;
    /** the batch of {@link #forward(InferenceState, int[], int, int, float[], boolean)}, used under the pool's lock */
    private final ForwardBatch single = new ForwardBatch();

    /** whether {@link #close()} closes the file (a model made {@link #withWeights} shares its source's) */
    private final boolean ownsFile;

    /** {@code kernels}: resolved (JAVA or NATIVE) */
    private Gemma3Model(GGUFFile file, GemmaConfig config, GemmaWeights weights, Tokenizer tokenizer, int threads, boolean ownsFile,
                        Kernels kernels) {
        this.ownsFile = ownsFile;
        this.file = file;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.pool = new WorkerPool(threads);
        this.matmul = new MatMul(pool, Math.max(Math.max(config.hidden(), config.ffn()), config.qDim()));
        matmul.kernels(kernels);
        if (kernels == Kernels.NATIVE) WeightMatrix.reservePacked(weights.productMatrices());
        this.attention = new Attention(config);
        this.act = new Activations(config, pool.size());
        this.adaptRows = new AdaptRows(pool.size());
    }

    /** Opens, validates and maps a Gemma 3 GGUF file. */
    public static Gemma3Model load(Path path, int threads) throws IOException {
        return load(path, threads, c -> { });
    }

    /**
     * As above, running {@code check} on the hyper-parameters as soon as they are read, before the weights are
     * mapped and the tokenizer built: a setting the model cannot take fails in a fraction of the load time.
     */
    public static Gemma3Model load(Path path, int threads, java.util.function.Consumer<GemmaConfig> check) throws IOException {
        return load(path, threads, check, Kernels.configured());
    }

    /**
     * As above, on the given kernels (resolved first: a native choice this machine cannot run fails before
     * anything is read); the load-time JIT warm-up covers what those kernels leave to Java.
     */
    public static Gemma3Model load(Path path, int threads, java.util.function.Consumer<GemmaConfig> check, Kernels kernels)
            throws IOException {
        return load(path, threads, check, kernels, false);
    }

    /**
     * As above; with {@code inMemory} the file's weights are copied into memory instead of read from the mapping
     * (llama.cpp's {@code --no-mmap}; see {@link GGUFFile#loadIntoMemory()}).
     */
    public static Gemma3Model load(Path path, int threads, java.util.function.Consumer<GemmaConfig> check, Kernels kernels,
                                   boolean inMemory) throws IOException {
        Kernels resolved = kernels.resolve();
        // a Hugging Face folder runs as the GGUF model llama.cpp's converter would make of it
        dev.jemma.hf.HuggingFaceModel hf = java.nio.file.Files.isDirectory(path) ? dev.jemma.hf.HuggingFaceModel.open(path) : null;
        GGUFFile file;
        try {
            file = hf != null ? hf.view() : GGUFFile.open(path);
        } catch (RuntimeException e) {
            if (hf != null) hf.close();
            throw e;
        }
        Trace.mark("GGUF opened");
        try {
            GemmaConfig config = GemmaConfig.fromGGUF(file.metadata());
            check.accept(config);
            if (inMemory) {
                try {
                    file.loadIntoMemory();
                } catch (OutOfMemoryError e) {
                    throw new InsufficientMemoryException("cannot copy the model's " + file.fileSize()
                            + " bytes into memory (--no-mmap): use the mapped file", file.fileSize(), -1, -1);
                }
                Trace.mark("weights copied into memory");
            }
            GemmaWeights weights = GemmaWeights.load(file, config);
            Trace.mark("weights mapped");
            KernelWarmup warmup = KernelWarmup.start(weights, resolved);
            try {
                Tokenizer tokenizer = hf != null ? hf.tokenizer(file.metadata()) : Tokenizer.fromGGUF(file.metadata());
                Trace.mark("tokenizer ready");
                Gemma3Model model = new Gemma3Model(file, config, weights, tokenizer, threads, true, resolved);
                Trace.mark("model ready");
                return model;
            } finally {
                if (warmup != null) warmup.stop();
            }
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * The same model (file, config, tokenizer) with other weights of the same shapes, and its own worker pool:
     * what a full fine-tune trains in place. Closing it leaves this model's file open.
     */
    public Gemma3Model withWeights(GemmaWeights other) {
        return new Gemma3Model(file, config, other, tokenizer, pool.size(), false, kernels());
    }

    /**
     * Chooses the kernels of this model's matrix products ({@link Kernels}: Java f32, or the native integer kernels
     * with llama.cpp's numerics) and returns what runs. The default is the one {@link #load} was given. Call it between
     * forward passes; a native choice the machine cannot run is a {@link JemmaException} with the reason.
     */
    public Kernels kernels(Kernels choice) {
        synchronized (pool) {
            return matmul.kernels(choice);
        }
    }

    /**
     * Has the native kernels read the output head in its stored layout, as long as they have not interleaved it yet:
     * for a one-shot run, whose first prompt would otherwise make the head's interleaved copy (on the real 270M 75–250
     * ms of a 2-core machine's first token). Decode steps and, more, speculative verification passes are slower on
     * the stored head. Returns whether it stays stored; no effect on the Java kernels. Shared with the models made
     * from this one by {@link #withWeights} only where they share the head.
     */
    public boolean keepOutputHeadStored() {
        return weights.output.keepStoredLayout();
    }

    /** What the products run: {@link Kernels#JAVA} or {@link Kernels#NATIVE}. */
    public Kernels kernels() {
        return matmul.kernels();
    }

    /**
     * Makes every sequence of this model run with {@code a} (null: none), e.g. LoRA adapters given at start-up.
     * Allowed only before the first state is made: a state's KV cache, and the prefix cache built from states,
     * hold values computed through the adapter, so one model must not mix sequences made with and without it.
     * A forward batch can still give one segment another adapter ({@link ForwardBatch#adapter}).
     */
    public void adapter(LinearAdapter a) {
        if (statesMade) throw new IllegalStateException("the model's adapter must be set before its first sequence is made");
        adapter = a;
    }

    /** The adapter new sequences run with, or null. */
    public LinearAdapter adapter() {
        return adapter;
    }

    public int vocabRows() {
        return weights.vocabRows;
    }

    public int threads() {
        return pool.size();
    }

    /** A fresh sequence state with room for {@code contextLength} positions and an f32 KV cache. */
    public InferenceState newState(int contextLength) {
        return newState(contextLength, DEFAULT_CHUNK, KVType.F32);
    }

    public InferenceState newState(int contextLength, int maxChunk) {
        return newState(contextLength, maxChunk, KVType.F32);
    }

    public InferenceState newState(int contextLength, KVType kvType) {
        return newState(contextLength, DEFAULT_CHUNK, kvType);
    }

    /**
     * A fresh state. The KV cache's size comes from the formula of {@link KVCache#bytes} and is checked
     * against available memory first, so a context that cannot fit fails with the numbers.
     * Close it (or the session owning it) to release the cache at once.
     */
    public InferenceState newState(int contextLength, int maxChunk, KVType kvType) {
        config.checkContextLength(contextLength);
        if (maxChunk < 1) throw new JemmaException("chunk size must be ≥ 1, got " + maxChunk);
        KVCache.checkSupported(config, kvType);
        checkMemory(config, contextLength, maxChunk, kvType, AvailableMemory.bytes());
        statesMade = true;
        return new InferenceState(config, contextLength, maxChunk, kvType, adapter);
    }

    /** Fails, with the numbers and what would fit, when a KV cache needs more than {@code available} bytes. */
    static void checkMemory(GemmaConfig config, int contextLength, int maxChunk, KVType kvType, long available) {
        long need = KVCache.bytes(config, contextLength, maxChunk, kvType);
        if (need <= available) return;
        long q8 = kvType == KVType.Q8_0 ? -1 : KVCache.bytes(config, contextLength, maxChunk, KVType.Q8_0);
        throw new InsufficientMemoryException(String.format("the KV cache for a context of %,d tokens (%s) needs %s, but only %s is available",
                contextLength, kvType.id(), AvailableMemory.mib(need), AvailableMemory.mib(available)), need, available, q8);
    }

    /**
     * Runs {@code n} tokens at the state's next positions and appends them to its KV cache, in chunks of the
     * state's maxChunk, with the fast arithmetic. If {@code logits} is non-null it receives the logits of the last
     * token ({@code allPositions} false, length ≥ vocabRows) or of every token ({@code allPositions} true,
     * n × vocabRows).
     */
    public void forward(InferenceState s, int[] tokens, int off, int n, float[] logits, boolean allPositions) {
        forward(s, tokens, off, n, logits, allPositions, Arithmetic.FAST);
    }

    /** As above, with the given arithmetic. */
    public void forward(InferenceState s, int[] tokens, int off, int n, float[] logits, boolean allPositions, Arithmetic arithmetic) {
        if (n < 0 || off < 0 || off + n > tokens.length) throw new IllegalArgumentException("bad token range");
        if (s.position + n > s.contextLength) throw new ContextOverflowException(s.position + n, s.contextLength);
        for (int i = off; i < off + n; i++) checkToken(tokens[i]); // all of them before the first chunk changes the state
        synchronized (pool) {
            for (int done = 0; done < n; ) {
                int chunk = Math.min(s.maxChunk, n - done);
                boolean last = done + chunk == n;
                ForwardBatch.Logits mode = logits == null ? ForwardBatch.Logits.NONE
                        : allPositions ? ForwardBatch.Logits.ALL : last ? ForwardBatch.Logits.LAST : ForwardBatch.Logits.NONE;
                single.clear().add(s, tokens, off + done, chunk, mode);
                single.arithmetic(arithmetic);
                single.logits(logits, allPositions ? done * weights.vocabRows : 0);
                forward(single);
                done += chunk;
            }
            single.clear();
        }
    }

    /**
     * Positions {@code from..} of a prompt with images: rows of {@code images}' runs get their embeddings and see
     * their run both ways; passes of at most the state's chunk never split a run. Logits as
     * {@link #forward(InferenceState, int[], int, int, float[], boolean, Arithmetic)} gives them (of every computed
     * position from {@code from}, or of the last).
     */
    public void forward(InferenceState s, int[] tokens, ImageRuns images, int from, float[] logits, boolean allPositions,
                        Arithmetic arithmetic) {
        if (images.count() == 0) {
            forward(s, tokens, from, tokens.length - from, logits, allPositions, arithmetic);
            return;
        }
        int hidden = config.hidden();
        images.check(tokens.length, hidden);
        if (images.length() > s.maxChunk) {
            throw new IllegalArgumentException("an image takes " + images.length() + " positions, more than the "
                    + s.maxChunk + " one pass of this sequence may take");
        }
        ForwardBatch b = new ForwardBatch(); // rows given as embeddings skip the vocabulary check of their ids
        for (int p = from; p < tokens.length; ) {
            int end = images.chunkEnd(p, tokens.length, s.maxChunk);
            ForwardBatch.Logits mode = logits == null ? ForwardBatch.Logits.NONE
                    : allPositions ? ForwardBatch.Logits.ALL : end == tokens.length ? ForwardBatch.Logits.LAST : ForwardBatch.Logits.NONE;
            b.clear();
            int seg = b.add(s, tokens, p, end - p, mode);
            images.addTo(b, seg, p, end, hidden);
            b.arithmetic(arithmetic);
            if (logits != null) b.logits(logits, allPositions ? (p - from) * weights.vocabRows : 0);
            forward(b);
            p = end;
        }
    }

    /**
     * The forward pass: every row of the batch through every layer, each segment's keys and values appended to
     * its own cache and its state advanced by its rows; logit rows into the batch's logits array. Fails before
     * computing anything when a segment would overflow its context or its state's chunk, a token id is outside
     * the vocabulary, a visibility rule reaches outside its segment, or the logits array is too small.
     */
    public void forward(ForwardBatch b) {
        validate(b);
        synchronized (pool) {
            try {
                pass(b);
            } finally {
                attention.unbind();
            }
        }
    }

    private void checkToken(int id) {
        if (id < 0 || id >= weights.vocabRows) {
            throw new JemmaException("token id " + id + " is outside the embedding table [0, " + weights.vocabRows + ")");
        }
    }

    private void validate(ForwardBatch b) {
        if (b.rows == 0) throw new IllegalArgumentException("empty batch");
        int vocab = weights.vocabRows;
        for (int seg = 0; seg < b.segments; seg++) {
            InferenceState s = b.segs[seg].state;
            int n = b.segs[seg].rows, first = b.segs[seg].firstRow;
            if (s.position + n > s.contextLength) throw new ContextOverflowException(s.position + n, s.contextLength);
            if (n > s.maxChunk) throw new IllegalArgumentException(n + " rows of one sequence exceed its chunk of " + s.maxChunk);
            for (int t = first; t < first + n; t++) {
                if (!b.embedded[t]) checkToken(b.tokens[t]);
            }
            if (b.segs[seg].visibility != Visibility.CAUSAL) {
                for (int i = 0; i < n; i++) {
                    int p = s.position + i, last = b.segs[seg].visibility.lastVisibleKey(p);
                    if (last < p || last >= s.position + n) {
                        throw new IllegalArgumentException("position " + p + " would see key " + last + ", outside [" + p + ", " + (s.position + n) + ")");
                    }
                }
            }
        }
        int logitRows = b.logitRows();
        if (logitRows > 0 && (b.logits == null || b.logits.length < b.logitsOffset + (long) logitRows * vocab)) {
            throw new IllegalArgumentException("the logits array needs " + logitRows + " × " + vocab + " floats");
        }
    }

    private void pass(ForwardBatch b) {
        GemmaConfig c = config;
        int h = c.hidden(), n = b.rows, ffn = c.ffn();
        Arithmetic ar = b.arithmetic;
        ActivationRecorder rec = b.recorder;
        act.ensure(n);
        float[] x = act.xRows.data(), xb = act.xbRows.data(), o = act.oRows.data();
        for (int t = 0; t < n; t++) {
            if (b.embedded[t]) {
                System.arraycopy(b.embeddings, t * h, x, t * h, h);
            } else {
                weights.tokenEmbedding.dequantizeRow(b.tokens[t], x, t * h);
                for (int i = 0; i < h; i++) x[t * h + i] *= c.embeddingScale();
            }
        }
        for (int l = 0; l < c.layers(); l++) {
            GemmaWeights.Layer w = weights.layers[l];
            if (rec != null) rec.record(l, Stage.LAYER_INPUT, act.xRows, n, h);
            tokenSteps.run(TokenSteps.ATTENTION_NORM, w, n);
            if (rec != null) rec.record(l, Stage.ATTENTION_NORMED, act.xbRows, n, h);
            matmul.apply(act.xbRows, n, ar, w.q(), act.qRows, w.k(), act.kRows, w.v(), act.vRows);
            adapt(b, l, Projection.Q, act.xbRows, act.qRows);
            adapt(b, l, Projection.K, act.xbRows, act.kRows);
            adapt(b, l, Projection.V, act.xbRows, act.vRows);
            if (rec != null) {
                rec.record(l, Stage.Q, act.qRows, n, c.qDim());
                rec.record(l, Stage.K, act.kRows, n, c.kvDim());
                rec.record(l, Stage.V, act.vRows, n, c.kvDim());
            }
            attention.prepare(b, act, w, l);
            pool.run(attention.bind(b, act, l).items(), attention);
            if (rec != null) rec.record(l, Stage.ATTENTION_OUTPUT, act.attRows, n, c.qDim());
            matmul.apply(w.o(), act.attRows, act.oRows, n, ar);
            adapt(b, l, Projection.O, act.attRows, act.oRows);
            if (rec != null) rec.record(l, Stage.ATTENTION_PROJECTED, act.oRows, n, h);
            tokenSteps.run(TokenSteps.AFTER_ATTENTION, w, n);
            if (rec != null) {
                rec.record(l, Stage.FFN_INPUT, act.xRows, n, h);
                rec.record(l, Stage.FFN_NORMED, act.xbRows, n, h);
            }
            matmul.apply(act.xbRows, n, ar, w.gate(), act.gateRows, w.up(), act.upRows);
            adapt(b, l, Projection.GATE, act.xbRows, act.gateRows);
            adapt(b, l, Projection.UP, act.xbRows, act.upRows);
            if (rec != null) {
                rec.record(l, Stage.GATE, act.gateRows, n, ffn);
                rec.record(l, Stage.UP, act.upRows, n, ffn);
            }
            tokenSteps.run(TokenSteps.GELU, w, n);
            if (rec != null) rec.record(l, Stage.FFN_ACTIVATION, act.gateRows, n, ffn);
            matmul.apply(w.down(), act.gateRows, act.oRows, n, ar);
            adapt(b, l, Projection.DOWN, act.gateRows, act.oRows);
            if (rec != null) rec.record(l, Stage.FFN_OUTPUT, act.oRows, n, h);
            tokenSteps.run(TokenSteps.AFTER_FFN, w, n);
        }
        tokenSteps.run(TokenSteps.OUTPUT_NORM, null, n);
        if (rec != null) rec.record(-1, Stage.OUTPUT_HIDDEN, act.hiddenRows, n, h);
        for (int seg = 0; seg < b.segments; seg++) b.segs[seg].state.position += b.segs[seg].rows;
        logits(b);
    }

    private final TokenSteps tokenSteps = new TokenSteps();

    /**
     * The element-wise steps between the products (norms, residual additions, GELU), split by tokens across the pool
     * from {@link #MIN_TOKENS} tokens on; below that GELU, a few microseconds a token and layer, is split within
     * tokens and the rest runs on the calling thread. Each element's arithmetic is its own, so no split changes a bit.
     */
    private final class TokenSteps implements WorkerPool.RangeTask {
        static final int ATTENTION_NORM = 0, AFTER_ATTENTION = 1, GELU = 2, AFTER_FFN = 3, OUTPUT_NORM = 4;
        /** fewer tokens run on the calling thread: a dispatch would cost more than it saves */
        static final int MIN_TOKENS = 8;
        private int step;
        private GemmaWeights.Layer w;

        void run(int step, GemmaWeights.Layer w, int n) {
            this.step = step;
            this.w = w;
            if (n >= MIN_TOKENS) pool.run(n, this);
            else if (step == GELU) pool.run(n * geluChunks(), geluTask); // the one step long enough to split within a token
            else run(0, 0, n);
            this.w = null;
        }

        /** each token's GELU in pieces of {@link Ops#GELU_CHUNK}, for the pool to share when tokens are few */
        private int geluChunks() {
            return (config.ffn() + Ops.GELU_CHUNK - 1) / Ops.GELU_CHUNK;
        }

        private final WorkerPool.RangeTask geluTask = (worker, start, end) -> {
            int ffn = config.ffn(), geluChunks = geluChunks();
            for (int i = start; i < end; i++) {
                int t = i / geluChunks, from = t * ffn + (i % geluChunks) * Ops.GELU_CHUNK;
                Ops.geluTanhMul(act.gateRows.data(), act.upRows.data(), from, Math.min(from + Ops.GELU_CHUNK, (t + 1) * ffn),
                        act.geluScratch[worker]);
            }
        };

        @Override
        public void run(int worker, int start, int end) {
            GemmaConfig c = config;
            int h = c.hidden();
            float eps = c.rmsEps();
            float[] x = act.xRows.data(), xb = act.xbRows.data(), o = act.oRows.data();
            for (int t = start; t < end; t++) {
                switch (step) {
                    case ATTENTION_NORM -> Ops.rmsNorm(xb, t * h, x, t * h, w.attnNorm(), h, eps);
                    case AFTER_ATTENTION -> {
                        Ops.rmsNorm(o, t * h, o, t * h, w.postAttnNorm(), h, eps);
                        Ops.addInPlace(x, t * h, o, t * h, h);
                        Ops.rmsNorm(xb, t * h, x, t * h, w.ffnNorm(), h, eps);
                    }
                    case GELU -> Ops.geluTanhMul(act.gateRows.data(), act.upRows.data(), t * c.ffn(), (t + 1) * c.ffn(),
                            act.geluScratch[worker]);
                    case AFTER_FFN -> {
                        Ops.rmsNorm(o, t * h, o, t * h, w.postFfnNorm(), h, eps);
                        Ops.addInPlace(x, t * h, o, t * h, h);
                    }
                    default -> Ops.rmsNorm(act.hiddenRows.data(), t * h, x, t * h, weights.outputNorm, h, eps);
                }
            }
        }
    }

    /**
     * Each segment's adapter, if any, on its own rows of a projection's input and output; from
     * {@link TokenSteps#MIN_TOKENS} rows on, split across the pool.
     */
    private void adapt(ForwardBatch b, int layer, Projection p, Rows in, Rows out) {
        for (int seg = 0; seg < b.segments; seg++) {
            LinearAdapter a = b.segs[seg].adapter;
            if (a == null) continue;
            int rows = b.segs[seg].rows;
            adaptRows.bind(a, layer, p, in, out, b.segs[seg].firstRow);
            if (rows < TokenSteps.MIN_TOKENS) adaptRows.run(0, 0, rows);
            else pool.run(rows, adaptRows);
            adaptRows.bind(null, 0, null, null, null, 0);
        }
    }

    private final AdaptRows adaptRows;

    /** One adapter on a range of a segment's rows, with each worker's own views of them. */
    private static final class AdaptRows implements WorkerPool.RangeTask {
        private final Rows[] ins, outs;
        private LinearAdapter adapter;
        private int layer, first;
        private Projection projection;
        private Rows in, out;

        AdaptRows(int workers) {
            ins = new Rows[workers];
            outs = new Rows[workers];
            for (int i = 0; i < workers; i++) {
                ins[i] = Rows.packed(null, 0);
                outs[i] = Rows.packed(null, 0);
            }
        }

        void bind(LinearAdapter a, int layer, Projection p, Rows in, Rows out, int first) {
            this.adapter = a;
            this.layer = layer;
            this.projection = p;
            this.in = in;
            this.out = out;
            this.first = first;
        }

        @Override
        public void run(int worker, int start, int end) {
            if (start == end) return;
            adapter.addTo(layer, projection, ins[worker].at(in.data(), in.start(first + start), in.stride()),
                    outs[worker].at(out.data(), out.start(first + start), out.stride()), end - start);
        }
    }

    /** The requested rows' hidden states, gathered, through the tied output head in one product. */
    private void logits(ForwardBatch b) {
        int h = config.hidden(), vocab = weights.vocabRows;
        float[] hidden = act.hiddenRows.data(), input = act.logitInputRows.data();
        int k = 0;
        for (int seg = 0; seg < b.segments; seg++) {
            int first = b.segs[seg].firstRow, n = b.segs[seg].rows;
            switch (b.segs[seg].logits) {
                case NONE -> { }
                case LAST -> System.arraycopy(hidden, (first + n - 1) * h, input, k++ * h, h);
                case ALL -> {
                    System.arraycopy(hidden, first * h, input, k * h, n * h);
                    k += n;
                }
            }
        }
        if (k == 0) return;
        matmul.apply(weights.output, act.logitInputRows, act.logitRows.at(b.logits, b.logitsOffset, vocab), k, b.arithmetic);
        softcap(b.logits, b.logitsOffset, b.logitsOffset + k * vocab);
    }

    private void softcap(float[] out, int from, int to) {
        float cap = config.finalLogitSoftcap();
        if (cap > 0) {
            for (int i = from; i < to; i++) out[i] = (float) (cap * Math.tanh(out[i] / cap));
        }
    }

    @Override
    public void close() {
        pool.close();
        if (ownsFile) file.close();
    }
}
