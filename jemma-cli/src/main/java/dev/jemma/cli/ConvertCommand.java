package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.hf.HuggingFaceModel;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** llama.cpp's convert_hf_to_gguf.py for Gemma 3: the same GGUF from a Hugging Face folder. */
@Command(name = "convert", description = "Convert a Hugging Face Gemma 3 folder to GGUF, as llama.cpp's convert_hf_to_gguf.py does.")
final class ConvertCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Hugging Face folder (config.json, *.safetensors, tokenizer.model)")
    Path dir;
    @Option(names = "--out", required = true, description = "the GGUF file (written atomically)")
    Path out;
    @Option(names = "--type", paramLabel = "auto|f32|f16|bf16|q8_0", description = "weight type (default: ${DEFAULT-VALUE}: bf16 or f16, as the checkpoint stores them)")
    String type = "auto";
    @Option(names = "--mmproj-out", paramLabel = "P.gguf", description = "also write the vision tower and projector as llama.cpp's mmproj file (Gemma3ForConditionalGeneration)")
    Path mmprojOut;

    @Override
    public Integer call() throws Exception {
        HuggingFaceModel.OutType t;
        try {
            t = HuggingFaceModel.OutType.valueOf(type.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new JemmaException("--type " + type + " is not one of auto, f32, f16, bf16, q8_0");
        }
        Path folder = InputFiles.model("DIR", dir);
        if (!Files.isDirectory(folder)) throw new JemmaException("DIR " + dir + " is a file; convert takes a Hugging Face folder");
        if (Files.isDirectory(out)) throw new JemmaException("--out " + out + " is a directory, not a file");
        if (mmprojOut != null && Files.isDirectory(mmprojOut)) throw new JemmaException("--mmproj-out " + mmprojOut + " is a directory, not a file");
        long t0 = System.nanoTime();
        try (HuggingFaceModel hf = HuggingFaceModel.open(folder)) {
            if (mmprojOut != null && !hf.config().multimodal()) {
                throw new JemmaException("--mmproj-out: " + folder + " is a text-only model (" + hf.config().architecture() + "), it has no vision tower");
            }
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("convert").setInitialMax(1).setUnit(" tensors", 1)
                    .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
                hf.convert(out, t, (done, total) -> {
                    bar.maxHint(total);
                    bar.stepTo(done);
                });
            }
            if (mmprojOut != null) {
                hf.convertMmproj(mmprojOut, t);
                Log.info("wrote " + mmprojOut + " (vision tower and projector, llama.cpp's mmproj layout)");
            }
        }
        Log.info(String.format("wrote %s in %.1f s", out, (System.nanoTime() - t0) / 1e9));
        return 0;
    }
}
