package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.gguf.GGUFFile;
import dev.jemma.quantize.ImportanceMatrix;
import dev.jemma.quantize.ModelQuantizer;
import dev.jemma.quantize.QuantizationMix;
import dev.jemma.tensor.GGMLType;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** llama-quantize's job: the same types per tensor and the same bytes, from a GGUF model. */
@Command(name = "quantize", description = "Quantize a GGUF model as llama-quantize does (same tensor types, same bytes).")
final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "the model to quantize (F32/F16/BF16 GGUF; quantized with --allow-requantize)")
    Path in;
    @Parameters(index = "1", paramLabel = "OUT", description = "the quantized model (written atomically; never the input)")
    Path out;
    @Parameters(index = "2", paramLabel = "TYPE", description = "Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q2_K_S, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, F16, BF16, F32 (or llama.cpp's file-type number)")
    String type;
    @Option(names = "--imatrix", paramLabel = "FILE", description = "importance matrix (llama-imatrix's GGUF or .dat, or jemma imatrix's)")
    Path imatrix;
    @Option(names = "--pure", description = "every weight in TYPE: no mix rules")
    boolean pure;
    @Option(names = "--output-type", paramLabel = "T", description = "type of the output tensor (for Gemma, the tied token embedding)")
    String outputType;
    @Option(names = "--token-embedding-type", paramLabel = "T", description = "type of token_embd.weight")
    String tokenEmbeddingType;
    @Option(names = "--allow-requantize", description = "allow quantizing tensors that are already quantized")
    boolean allowRequantize;
    @Option(names = {"-t", "--threads"}, description = "worker threads (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Override
    public Integer call() throws Exception {
        if (threads < 1) throw new JemmaException("--threads must be ≥ 1, got " + threads);
        QuantizationMix mix = parse(() -> QuantizationMix.parse(type));
        GGMLType output = outputType == null ? null : tensorType("--output-type", outputType);
        GGMLType embedding = tokenEmbeddingType == null ? null : tensorType("--token-embedding-type", tokenEmbeddingType);
        Path input = InputFiles.existing("IN", in);
        ModelQuantizer.warmUp(mix, imatrix != null);
        ImportanceMatrix imp = imatrix == null ? null : ImportanceMatrix.read(InputFiles.existing("--imatrix", imatrix));
        var options = new ModelQuantizer.Options(mix, output, embedding, pure, allowRequantize, imp,
                imatrix == null ? null : imatrix.toString(), threads);
        long t0 = System.nanoTime();
        try (GGUFFile f = GGUFFile.open(input)) {
            ModelQuantizer.Plan plan = ModelQuantizer.plan(f, options);
            Map<GGMLType, Integer> counts = new EnumMap<>(GGMLType.class);
            for (var p : plan.tensors()) counts.merge(p.type(), 1, Integer::sum);
            Log.info(String.format("%s: %d tensors → %s %s(%.1f MiB); types %s%s", input.getFileName(), plan.tensors().size(), mix,
                    pure ? "pure " : "", plan.outputBytes() / 1048576.0, counts,
                    imp == null ? "" : String.format("; importance for %d weights", plan.importanceUsed())));
            if (plan.fallbacks() > 0) Log.info(plan.fallbacks() + " tensor(s) took a fallback type: their rows do not divide into the mix's blocks");
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("quantize").setInitialMax(Math.max(1, plan.outputBytes() >> 20))
                    .setUnit(" MiB", 1).setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
                ModelQuantizer.write(f, plan, options, out, (name, done, total) -> bar.stepTo(done >> 20));
            }
        }
        Log.info(String.format("wrote %s in %.1f s (%d threads)", out, (System.nanoTime() - t0) / 1e9, threads));
        return 0;
    }

    private static GGMLType tensorType(String option, String s) {
        try {
            return GGMLType.valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new JemmaException(option + " " + s + " is not a tensor type (e.g. Q8_0, Q6_K, F16)");
        }
    }

    private static <T> T parse(java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (IllegalArgumentException e) {
            throw new JemmaException(e.getMessage());
        }
    }
}
