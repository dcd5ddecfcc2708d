package dev.jemma.cli;

import dev.jemma.model.Gemma3Model;
import dev.jemma.quantize.ImportanceCollector;
import dev.jemma.quantize.ImportanceMatrix;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** llama-imatrix's job: the importance matrix of a model over a calibration text, in its GGUF format. */
@Command(name = "imatrix", description = "Compute an importance matrix over a text file (llama-imatrix's GGUF format), for jemma quantize --imatrix.")
final class ImatrixCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Parameters(paramLabel = "FILE", description = "calibration text")
    Path file;
    @Option(names = {"-o", "--out"}, description = "output file (default: ${DEFAULT-VALUE})")
    Path out = Path.of("imatrix.gguf");
    @Option(names = "--ctx", description = "tokens per chunk (default: ${DEFAULT-VALUE}, as llama-imatrix)")
    int ctx = 512;
    @Option(names = "--chunks", description = "most chunks to process (default: all)")
    int maxChunks = -1;

    @Override
    public Integer call() throws Exception {
        String text = InputFiles.text("FILE", file);
        try (Gemma3Model m = model.load()) {
            int[] tokens = PerplexityCommand.withBos(m, text);
            int chunks = PerplexityCommand.chunks(tokens, ctx, maxChunks);
            long t0 = System.nanoTime();
            ImportanceMatrix imp;
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("imatrix").setInitialMax(Math.max(1, chunks))
                    .setUnit(" chunks", 1).setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
                imp = ImportanceCollector.compute(m, tokens, ctx, maxChunks, file.getFileName().toString(), bar::stepTo);
            }
            imp.write(out);
            Log.info(String.format("wrote %s: %d entries, %d chunks of %d tokens, in %.1f s", out, imp.entries().size(),
                    imp.chunkCount(), ctx, (System.nanoTime() - t0) / 1e9));
        }
        return 0;
    }
}
