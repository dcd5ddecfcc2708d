package dev.jemma.cli;

import dev.jemma.model.Gemma3Model;
import dev.jemma.model.Perplexity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Perplexity of a text file; see {@link Perplexity} for the (llama-perplexity compatible) definition. */
@Command(name = "perplexity", description = "Perplexity over a text file, comparable with llama.cpp's llama-perplexity.")
final class PerplexityCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin LoraOptions lora;
    @Parameters(paramLabel = "FILE")
    Path file;
    @Option(names = "--ctx", description = "tokens per chunk (default: ${DEFAULT-VALUE})")
    int ctx = 512;
    @Option(names = "--chunks", description = "most chunks to evaluate (default: all)")
    int maxChunks = -1;

    @Override
    public Integer call() throws Exception {
        String text = InputFiles.text("FILE", file);
        try (Gemma3Model m = model.load(lora)) {
            int[] tokens = withBos(m, text);
            int[] done = {0};
            int chunks = chunks(tokens, ctx, maxChunks);
            double ppl = Perplexity.compute(m, tokens, ctx, maxChunks,
                    p -> System.err.printf("jemma: chunk %d/%d  perplexity so far %.4f%n", ++done[0], chunks, p));
            System.out.printf("%.6f%n", ppl);
            Log.info(String.format("perplexity %.4f over %d chunks of %d tokens", ppl, chunks, ctx));
        }
        return 0;
    }

    /** The text's tokens after BOS, as llama-perplexity and llama-imatrix read a text file. */
    static int[] withBos(Gemma3Model m, String text) {
        int[] body = m.tokenizer.encode(text);
        int[] tokens = new int[body.length + 1];
        tokens[0] = m.tokenizer.bosId();
        System.arraycopy(body, 0, tokens, 1, body.length);
        return tokens;
    }

    /** How many whole chunks of {@code ctx} tokens are run ({@code maxChunks} < 0: all). */
    static int chunks(int[] tokens, int ctx, int maxChunks) {
        return maxChunks >= 0 ? Math.min(maxChunks, tokens.length / ctx) : tokens.length / ctx;
    }
}
