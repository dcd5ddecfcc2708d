package dev.jemma.model;

import dev.jemma.JemmaException;

import java.util.function.DoubleConsumer;

/**
 * Perplexity computed as llama.cpp's llama-perplexity does, so the two can be compared: the tokens
 * (BOS first) are cut into chunks of {@code ctx}, each chunk's first token is replaced by BOS, and only
 * the second half of each chunk is scored, so every scored token has at least ctx/2 tokens of context.
 */
public final class Perplexity {
    private Perplexity() {}

    public static double compute(Gemma3Model model, int[] tokens, int ctx, int maxChunks) {
        return compute(model, tokens, ctx, maxChunks, p -> {});
    }

    /** {@code progress} receives the running perplexity after each chunk. */
    public static double compute(Gemma3Model model, int[] tokens, int ctx, int maxChunks, DoubleConsumer progress) {
        if (ctx < 4 || ctx > model.config.contextLength()) {
            throw new JemmaException("perplexity context " + ctx + " must be between 4 and " + model.config.contextLength());
        }
        int chunks = tokens.length / ctx;
        if (maxChunks >= 0) chunks = Math.min(chunks, maxChunks);
        if (chunks == 0) throw new JemmaException("the text has " + tokens.length + " tokens, fewer than one chunk of " + ctx);
        int vocab = model.vocabRows();
        int step = Gemma3Model.ALL_LOGITS_CHUNK;
        InferenceState s = model.newState(ctx);
        float[] logits = new float[step * vocab];
        int[] chunk = new int[ctx];
        int first = ctx / 2;
        double nll = 0;
        long count = 0;
        for (int c = 0; c < chunks; c++) {
            System.arraycopy(tokens, c * ctx, chunk, 0, ctx);
            chunk[0] = model.tokenizer.bosId();
            s.reset();
            for (int done = 0; done < ctx; done += step) {
                int n = Math.min(step, ctx - done);
                boolean scored = done + n > first;
                model.forward(s, chunk, done, n, scored ? logits : null, scored);
                if (!scored) continue;
                for (int t = 0; t < n; t++) {
                    int j = done + t;
                    if (j < first || j >= ctx - 1) continue;
                    nll -= logSoftmax(logits, t * vocab, vocab, tokens[c * ctx + j + 1]);
                    count++;
                }
            }
            progress.accept(Math.exp(nll / count));
        }
        return Math.exp(nll / count);
    }

    private static double logSoftmax(float[] l, int off, int n, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, l[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(l[off + i] - max);
        return l[off + target] - max - Math.log(sum);
    }
}
