package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.adapter.LoraAdapter;
import dev.jemma.adapter.Merge;
import dev.jemma.gguf.GGUFFile;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.GemmaWeights;
import dev.jemma.tensor.GGMLType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "merge", description = "Fold LoRA adapters into the model: W' = W + scale·B·A, written as a new GGUF (metadata and other tensors unchanged).")
final class MergeCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin LoraOptions lora;
    @Option(names = "--out", required = true, description = "the merged model's GGUF file (written atomically)")
    Path out;
    @Option(names = "--out-type", paramLabel = "f32|f16|bf16", description = "storage of the merged weights (default f32); other tensors keep their type")
    String outType = "f32";

    @Override
    public Integer call() throws Exception {
        GGMLType type = switch (outType.toLowerCase(Locale.ROOT)) {
            case "f32" -> GGMLType.F32;
            case "f16" -> GGMLType.F16;
            case "bf16" -> GGMLType.BF16;
            default -> throw new JemmaException("--out-type " + outType + " is not one of f32, f16, bf16");
        };
        List<LoraOptions.Spec> specs = lora.parsed();
        if (specs.isEmpty()) throw new JemmaException("merge needs at least one --lora FILE[:SCALE]");
        Path base = model.resolve();
        if (Files.exists(out) && Files.isSameFile(base, out)) throw new JemmaException("--out " + out + " is the --model file; write the merge elsewhere");
        if (Files.isDirectory(out)) throw new JemmaException("--out " + out + " is a directory, not a file");
        try (GGUFFile f = dev.jemma.hf.ModelFiles.open(base)) {
            GemmaConfig config = GemmaConfig.fromGGUF(f.metadata());
            GemmaWeights.load(f, config); // every weight's shape checked before the first byte is written
            List<LoraAdapter> adapters = new ArrayList<>();
            for (LoraOptions.Spec s : specs) adapters.add(LoraAdapter.read(s.file(), config).withScale(s.scale()));
            long t0 = System.nanoTime();
            Merge.write(f, config, adapters, type, out, (done, total, name) -> {
                System.err.printf("\rmerging: %d/%d tensors%s", done, total, done == total ? "\n" : "");
            });
            Log.info(String.format("wrote %s (%d adapter%s, merged weights %s) in %.1f s", out, adapters.size(),
                    adapters.size() == 1 ? "" : "s", outType.toLowerCase(Locale.ROOT), (System.nanoTime() - t0) / 1e9));
        }
        return 0;
    }
}
