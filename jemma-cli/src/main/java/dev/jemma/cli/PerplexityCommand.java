package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InferenceState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Perplexity computed the way llama.cpp's llama-perplexity does, so the two can be compared: the
 * text (BOS first) is cut into chunks of --ctx tokens, each chunk starts with BOS, and only the
 * second half of each chunk is scored, so every scored token has at least ctx/2 tokens of context.
 */
@Command(name = "perplexity", description = "Perplexity over a text file, comparable with llama.cpp's llama-perplexity.")
final class PerplexityCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Parameters(paramLabel = "FILE")
    Path file;
    @Option(names = "--ctx", description = "tokens per chunk (default: ${DEFAULT-VALUE})")
    int ctx = 512;
    @Option(names = "--chunks", description = "most chunks to evaluate (default: all)")
    int maxChunks = -1;

    @Override
    public Integer call() throws Exception {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try (Gemma3Model m = model.load()) {
            if (ctx < 4 || ctx > m.config.contextLength()) {
                throw new JemmaException("--ctx " + ctx + " must be between 4 and " + m.config.contextLength());
            }
            int[] body = m.tokenizer.encode(text);
            int[] tokens = new int[body.length + 1];
            tokens[0] = m.tokenizer.bosId();
            System.arraycopy(body, 0, tokens, 1, body.length);
            int chunks = tokens.length / ctx;
            if (maxChunks >= 0) chunks = Math.min(chunks, maxChunks);
            if (chunks == 0) throw new JemmaException("the text has " + tokens.length + " tokens, fewer than one chunk of " + ctx);
            int vocab = m.vocabRows();
            InferenceState s = m.newState(ctx);
            float[] logits = new float[ctx * vocab];
            int first = ctx / 2;
            double nll = 0;
            long count = 0;
            int[] chunk = new int[ctx];
            for (int c = 0; c < chunks; c++) {
                System.arraycopy(tokens, c * ctx, chunk, 0, ctx);
                chunk[0] = m.tokenizer.bosId();
                s.reset();
                m.forward(s, chunk, 0, ctx, logits, true);
                for (int j = first; j < ctx - 1; j++) {
                    nll -= logSoftmax(logits, j * vocab, vocab, tokens[c * ctx + j + 1]);
                    count++;
                }
                System.err.printf("jemma: chunk %d/%d  ppl so far %.4f%n", c + 1, chunks, Math.exp(nll / count));
            }
            double ppl = Math.exp(nll / count);
            System.out.printf("%.6f%n", ppl);
            Log.info(String.format("perplexity %.4f over %d chunks of %d tokens (%d scored)", ppl, chunks, ctx, count));
        }
        return 0;
    }

    private static double logSoftmax(float[] l, int off, int n, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, l[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(l[off + i] - max);
        return l[off + target] - max - Math.log(sum);
    }
}
