package dev.jemma.cli;

import dev.jemma.model.Gemma3Model;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** --model and --threads, shared by the commands that load a model. */
public final class ModelOptions {
    @Option(names = {"-m", "--model"}, description = "Gemma 3 GGUF file or Hugging Face folder (default: Gemma 3 270M Q4_K_M, installed on first use)")
    Path model;

    @Option(names = {"-t", "--threads"}, description = "worker threads (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--kernels", paramLabel = "auto|java|native", description = "matrix kernels: java (f32, transformers' numerics), "
            + "native (8-bit activations and integer dot products in C, llama.cpp's numerics; built when a C compiler was "
            + "present) or auto (native where available; default, or $JEMMA_KERNELS)")
    String kernels;

    @Option(names = "--no-mmap", description = "copy the weights into memory (huge pages where the system gives them) "
            + "instead of reading the mapped file: a longer load and a larger resident set for faster decoding of "
            + "larger models (as llama.cpp's --no-mmap)")
    boolean noMmap;

    /** --kernels, else the configured default. */
    public dev.jemma.tensor.Kernels kernels() {
        return kernels == null ? dev.jemma.tensor.Kernels.configured() : dev.jemma.tensor.Kernels.parse(kernels);
    }

    public int threads() {
        return threads;
    }

    /** Whether --model was given (else the default model and, for chat, its adapter). */
    public boolean given() {
        return model != null;
    }

    /** The model file or folder: --model, checked, or the default model (installed on first use). */
    public Path resolve() throws IOException {
        if (model != null) return InputFiles.model("--model", model);
        try {
            return DefaultModel.locate();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while installing the default model", e);
        }
    }

    Gemma3Model load() throws IOException {
        return load(c -> { });
    }

    Gemma3Model load(LoraOptions lora) throws IOException {
        return load(c -> { }, lora);
    }

    /** As {@link #load(java.util.function.Consumer)}, then the --lora adapters (the model is closed if one is bad). */
    Gemma3Model load(java.util.function.Consumer<dev.jemma.model.GemmaConfig> check, LoraOptions lora) throws IOException {
        return load(check, lora, null);
    }

    /** As above, with the default chat adapter ({@code chat}, or null) applied before the --lora ones. */
    Gemma3Model load(java.util.function.Consumer<dev.jemma.model.GemmaConfig> check, LoraOptions lora, ChatAdapterOptions chat)
            throws IOException {
        lora.parsed(); // every --lora checked before the model loads
        Path chatAdapter = chat == null ? null : chat.resolve(this);
        Gemma3Model m = load(check);
        try {
            lora.apply(m, chatAdapter);
            return m;
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Loads the model, running {@code check} on its hyper-parameters before the slow part of loading. */
    Gemma3Model load(java.util.function.Consumer<dev.jemma.model.GemmaConfig> check) throws IOException {
        if (threads < 1) throw new dev.jemma.JemmaException("--threads must be ≥ 1, got " + threads);
        dev.jemma.tensor.Kernels choice = kernels();
        choice.resolve(); // a native choice this machine cannot run fails before the load (and the default model's install)
        Path p = resolve();
        long t0 = System.nanoTime();
        Gemma3Model m = Gemma3Model.load(p, threads, check, choice, noMmap);
        Log.info(String.format("loaded %s in %.0f ms (%d threads, %s kernels)", p.getFileName(), (System.nanoTime() - t0) / 1e6, threads,
                choice.describe()));
        return m;
    }
}
