package dev.jemma.model;

import dev.jemma.JemmaException;
import dev.jemma.Trace;
import dev.jemma.gguf.GGUFFile;
import dev.jemma.tensor.MatMul;
import dev.jemma.tensor.WorkerPool;
import dev.jemma.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A loaded Gemma 3 text model: config, memory-mapped weights, tokenizer and a fixed worker pool.
 * Immutable and safe to share between threads; each sequence runs in its own {@link InferenceState}.
 * Forward passes of different states are serialized on the model's worker pool.
 * The pass follows ../shared/docs/gemma3-reference.md section 1.1, with activations in f32.
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

    private Gemma3Model(GGUFFile file, GemmaConfig config, GemmaWeights weights, Tokenizer tokenizer, int threads) {
        this.file = file;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.pool = new WorkerPool(threads);
        this.matmul = new MatMul(pool, Math.max(Math.max(config.hidden(), config.ffn()), config.qDim()));
        this.attention = new Attention(config);
    }

    /** Opens, validates and maps a Gemma 3 GGUF file. */
    public static Gemma3Model load(Path path, int threads) throws IOException {
        GGUFFile file = GGUFFile.open(path);
        Trace.mark("GGUF opened");
        try {
            GemmaConfig config = GemmaConfig.fromGGUF(file.metadata());
            GemmaWeights weights = GemmaWeights.load(file, config);
            Trace.mark("weights mapped");
            KernelWarmup warmup = KernelWarmup.start(weights);
            try {
                Tokenizer tokenizer = Tokenizer.fromGGUF(file.metadata());
                Trace.mark("tokenizer ready");
                Gemma3Model model = new Gemma3Model(file, config, weights, tokenizer, threads);
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
        if (contextLength < 1) throw new JemmaException("context length must be ≥ 1, got " + contextLength);
        if (maxChunk < 1) throw new JemmaException("chunk size must be ≥ 1, got " + maxChunk);
        if (contextLength > config.contextLength()) {
            throw new JemmaException("context length " + contextLength + " exceeds the model's trained maximum "
                    + config.contextLength());
        }
        KVCache.checkSupported(config, kvType);
        checkMemory(config, contextLength, maxChunk, kvType, AvailableMemory.bytes());
        return new InferenceState(config, contextLength, maxChunk, pool.size(), kvType);
    }

    /** Fails, with the numbers and what would fit, when a KV cache needs more than {@code available} bytes. */
    static void checkMemory(GemmaConfig config, int contextLength, int maxChunk, KVType kvType, long available) {
        long need = KVCache.bytes(config, contextLength, maxChunk, kvType);
        if (need <= available) return;
        StringBuilder m = new StringBuilder(String.format("the KV cache for a context of %,d tokens (%s) needs %s, but only %s is available",
                contextLength, kvType.id(), AvailableMemory.mib(need), AvailableMemory.mib(available)));
        if (kvType != KVType.Q8_0) {
            m.append("; with --kv-type q8_0 it needs ").append(AvailableMemory.mib(KVCache.bytes(config, contextLength, maxChunk, KVType.Q8_0)));
        }
        m.append("; or lower --ctx");
        throw new InsufficientMemoryException(m.toString());
    }

    /**
     * Runs {@code n} tokens at the state's next positions and appends them to its KV cache.
     * If {@code logits} is non-null it receives the logits of the last token ({@code allPositions}
     * false, length ≥ vocabRows) or of every token ({@code allPositions} true, n × vocabRows).
     */
    public void forward(InferenceState s, int[] tokens, int off, int n, float[] logits, boolean allPositions) {
        if (n < 0 || off < 0 || off + n > tokens.length) throw new IllegalArgumentException("bad token range");
        if (s.position + n > s.contextLength) {
            throw new ContextOverflowException(s.position + n, s.contextLength);
        }
        for (int i = off; i < off + n; i++) {
            if (tokens[i] < 0 || tokens[i] >= weights.vocabRows) {
                throw new JemmaException("token id " + tokens[i] + " is outside the embedding table [0, " + weights.vocabRows + ")");
            }
        }
        synchronized (pool) {
            for (int done = 0; done < n; ) {
                int chunk = Math.min(s.maxChunk, n - done);
                boolean last = done + chunk == n;
                forwardChunk(s, tokens, off + done, chunk);
                if (logits != null && allPositions) {
                    outputLogits(s, chunk, 0, logits, done);
                } else if (logits != null && last) {
                    outputLogits(s, 1, chunk - 1, logits, 0);
                }
                done += chunk;
            }
        }
    }

    private void forwardChunk(InferenceState s, int[] tokens, int off, int n) {
        GemmaConfig c = config;
        int h = c.hidden();
        for (int t = 0; t < n; t++) {
            weights.tokenEmbedding.dequantizeRow(tokens[off + t], s.x, t * h);
            for (int i = 0; i < h; i++) s.x[t * h + i] *= c.embeddingScale();
        }
        for (int l = 0; l < c.layers(); l++) {
            GemmaWeights.Layer w = weights.layers[l];
            for (int t = 0; t < n; t++) Ops.rmsNorm(s.xb, t * h, s.x, t * h, w.attnNorm(), h, c.rmsEps());
            matmul.applyGroup(s.xb, h, n, w.q(), s.q, c.qDim(), w.k(), s.k, c.kvDim(), w.v(), s.v, c.kvDim());
            attention.prepare(s, w, l, n);
            attention.bind(s, l, n, pool.size());
            pool.run(attention.items(), attention);
            matmul.apply(w.o(), s.att, c.qDim(), s.o, h, n);
            for (int t = 0; t < n; t++) {
                Ops.rmsNorm(s.o, t * h, s.o, t * h, w.postAttnNorm(), h, c.rmsEps());
                Ops.addInPlace(s.x, t * h, s.o, t * h, h);
                Ops.rmsNorm(s.xb, t * h, s.x, t * h, w.ffnNorm(), h, c.rmsEps());
            }
            matmul.applyGroup(s.xb, h, n, w.gate(), s.gate, c.ffn(), w.up(), s.up, c.ffn(), null, null, 0);
            Ops.geluTanhMul(s.gate, s.up, n * c.ffn());
            matmul.apply(w.down(), s.gate, c.ffn(), s.o, h, n);
            for (int t = 0; t < n; t++) {
                Ops.rmsNorm(s.o, t * h, s.o, t * h, w.postFfnNorm(), h, c.rmsEps());
                Ops.addInPlace(s.x, t * h, s.o, t * h, h);
            }
        }
        for (int t = 0; t < n; t++) Ops.rmsNorm(s.hiddenOut, t * h, s.x, t * h, weights.outputNorm, h, c.rmsEps());
        s.position += n;
    }

    public DecodeBatch newDecodeBatch(int capacity) {
        return new DecodeBatch(config, capacity);
    }

    /**
     * One decode step for {@code n} sequences: tokens[i] goes at states[i]'s next position, and logits
     * row i (out[i·vocabRows ..]) receives its next-token logits. Batch-invariant: a sequence gets the same
     * logits whatever else is in the batch (the products use {@link MatMul#applyInvariant}; attention runs
     * per sequence). The states must be distinct.
     */
    public void decode(DecodeBatch b, InferenceState[] states, int[] tokens, int n, float[] out) {
        if (n < 1 || n > b.capacity || n > states.length || n > tokens.length) throw new IllegalArgumentException("bad batch size " + n);
        for (int i = 0; i < n; i++) {
            if (states[i].position + 1 > states[i].contextLength) throw new ContextOverflowException(states[i].position + 1, states[i].contextLength);
            if (tokens[i] < 0 || tokens[i] >= weights.vocabRows) {
                throw new JemmaException("token id " + tokens[i] + " is outside the embedding table [0, " + weights.vocabRows + ")");
            }
        }
        GemmaConfig c = config;
        int h = c.hidden(), qd = c.qDim(), kvd = c.kvDim();
        synchronized (pool) {
            for (int t = 0; t < n; t++) {
                weights.tokenEmbedding.dequantizeRow(tokens[t], b.x, t * h);
                for (int i = 0; i < h; i++) b.x[t * h + i] *= c.embeddingScale();
            }
            for (int l = 0; l < c.layers(); l++) {
                GemmaWeights.Layer w = weights.layers[l];
                for (int t = 0; t < n; t++) Ops.rmsNorm(b.xb, t * h, b.x, t * h, w.attnNorm(), h, c.rmsEps());
                matmul.applyGroupInvariant(b.xb, h, n, w.q(), b.q, qd, w.k(), b.k, kvd, w.v(), b.v, kvd);
                for (int t = 0; t < n; t++) {
                    InferenceState s = states[t];
                    System.arraycopy(b.q, t * qd, s.q, 0, qd);
                    System.arraycopy(b.k, t * kvd, s.k, 0, kvd);
                    System.arraycopy(b.v, t * kvd, s.v, 0, kvd);
                    attention.prepare(s, w, l, 1);
                    attention.bind(s, l, 1, pool.size());
                    pool.run(attention.items(), attention);
                    System.arraycopy(s.att, 0, b.att, t * qd, qd);
                }
                matmul.applyInvariant(w.o(), b.att, 0, qd, b.o, 0, h, n);
                for (int t = 0; t < n; t++) {
                    Ops.rmsNorm(b.o, t * h, b.o, t * h, w.postAttnNorm(), h, c.rmsEps());
                    Ops.addInPlace(b.x, t * h, b.o, t * h, h);
                    Ops.rmsNorm(b.xb, t * h, b.x, t * h, w.ffnNorm(), h, c.rmsEps());
                }
                matmul.applyGroupInvariant(b.xb, h, n, w.gate(), b.gate, c.ffn(), w.up(), b.up, c.ffn(), null, null, 0);
                Ops.geluTanhMul(b.gate, b.up, n * c.ffn());
                matmul.applyInvariant(w.down(), b.gate, 0, c.ffn(), b.o, 0, h, n);
                for (int t = 0; t < n; t++) {
                    Ops.rmsNorm(b.o, t * h, b.o, t * h, w.postFfnNorm(), h, c.rmsEps());
                    Ops.addInPlace(b.x, t * h, b.o, t * h, h);
                }
            }
            for (int t = 0; t < n; t++) {
                Ops.rmsNorm(b.hiddenOut, t * h, b.x, t * h, weights.outputNorm, h, c.rmsEps());
                states[t].position++;
            }
            int vocab = weights.vocabRows;
            matmul.applyInvariant(weights.output, b.hiddenOut, 0, h, out, 0, vocab, n);
            softcap(out, 0, n * vocab);
        }
    }

    /** Logits of rows [first, first+count) of the last chunk into out[outRow·vocab ..]. */
    private void outputLogits(InferenceState s, int count, int first, float[] out, int outRow) {
        int h = config.hidden();
        int vocab = weights.vocabRows;
        matmul.apply(weights.output, s.hiddenOut, first * h, h, out, outRow * vocab, vocab, count);
        softcap(out, outRow * vocab, (outRow + count) * vocab);
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
        file.close();
    }
}
