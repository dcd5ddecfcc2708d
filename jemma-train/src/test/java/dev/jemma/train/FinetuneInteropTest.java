package dev.jemma.train;

import dev.jemma.adapter.LoraAdapter;
import dev.jemma.model.ForwardBatch;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InferenceState;
import dev.jemma.testutil.Assets;
import dev.jemma.train.data.TrainingData;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What `jemma finetune` writes, read by llama.cpp (llama-cpp-python, f32 KV cache): a fully fine-tuned f32 GGUF and
 * a trained LoRA adapter give llama.cpp's logits within 5e-3 of Jemma's on f32 tiny models, and the written model
 * gives Jemma the trained weights' logits exactly. Needs JEMMA_PYTHON (the conformance venv).
 */
class FinetuneInteropTest {
    private static final Path ROOT = Path.of("src/test/resources/fixtures/train");
    private static final int[] TOKENS = {2, 10, 40, 77, 120, 5, 9, 200, 31, 64, 100, 101, 102};
    static final double TOL_LLAMACPP = 5e-3;

    private static String python() {
        String python = System.getenv("JEMMA_PYTHON");
        if (python == null || python.isBlank()) {
            String msg = "JEMMA_PYTHON (the conformance venv's python, with llama-cpp-python) is not set";
            if (Assets.required()) Assertions.fail(msg);
            Assumptions.abort(msg);
        }
        return python;
    }

    private static TrainingData data(Path dir, Gemma3Model m) throws Exception {
        StringBuilder b = new StringBuilder();
        java.util.Random r = new java.util.Random(9);
        String[] words = {"hello", "a", "b", "c", "d", "e", "he", "ll", "o"};
        for (int i = 0; i < 16; i++) {
            StringBuilder p = new StringBuilder();
            for (int w = 0; w < 4; w++) p.append(words[r.nextInt(words.length)]).append(' ');
            b.append("{\"prompt\":\"").append(p.toString().trim()).append("\",\"completion\":\" ").append(words[i % words.length]).append("\"}\n");
        }
        Path f = dir.resolve("train.jsonl");
        Files.writeString(f, b.toString());
        return TrainingData.load(f, m.tokenizer, 64);
    }

    private static TrainingOptions.Builder options() {
        return TrainingOptions.builder().steps(12).batch(4).lr(2e-2).threads(2).seqLen(64).rank(4).warmup(0).clip(1.0);
    }

    static float[] logits(Gemma3Model m, int[] tokens) {
        float[] out = new float[tokens.length * m.vocabRows()];
        try (InferenceState s = m.newState(64)) {
            m.forward(s, tokens, 0, tokens.length, out, true);
        }
        return out;
    }

    private static float[] llamaCpp(Path model, Path lora, Path tmp) throws Exception {
        Path out = tmp.resolve("llamacpp-" + System.nanoTime() + ".npy");
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(python(),
                Assets.repoRoot().resolve("conformance/lora_interop.py").toString(), "logits", "--model", model.toString(),
                "--tokens", Arrays.stream(TOKENS).mapToObj(Integer::toString).collect(Collectors.joining(",")), "--out", out.toString()));
        if (lora != null) cmd.addAll(java.util.List.of("--lora", lora.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "lora_interop.py timed out");
        assertEquals(0, p.exitValue(), "llama.cpp could not evaluate the file:\n" + log);
        byte[] b = Files.readAllBytes(out);
        int headerLen = (b[8] & 0xFF) | (b[9] & 0xFF) << 8;
        ByteBuffer data = ByteBuffer.wrap(b, 10 + headerLen, b.length - 10 - headerLen).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[data.remaining() / 4];
        data.asFloatBuffer().get(v);
        return v;
    }

    private static double maxAbs(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gqa_swa7", "mha_2layer"})
    void aFullFineTuneLoadsInLlamaCppWithTheSameLogits(String name, @TempDir Path tmp) throws Exception {
        Path modelFile = ROOT.resolve(name).resolve("model.gguf");
        Path out = tmp.resolve("full.gguf");
        float[] trained, base;
        try (Gemma3Model m = Gemma3Model.load(modelFile, 2)) {
            base = logits(m, TOKENS);
            try (Trainer t = Trainer.create(m, options().method(TrainingOptions.Method.FULL).build(), data(tmp, m), null)) {
                t.run(new TrainingListener() { });
                trained = logits(t.model(), TOKENS);
                t.save(out, "f32");
            }
        }
        assertTrue(maxAbs(trained, base) > 0.1, "training changed the model");
        try (Gemma3Model written = Gemma3Model.load(out, 2)) {
            assertEquals(0.0, maxAbs(logits(written, TOKENS), trained), "the written GGUF holds exactly the trained weights");
        }
        double d = maxAbs(llamaCpp(out, null, tmp), trained);
        System.out.printf("finetune interop (%s, full f32 GGUF): max|jemma − llama.cpp| %.2e%n", name, d);
        assertTrue(d <= TOL_LLAMACPP, "max |jemma − llama.cpp| = " + d);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gqa_swa7", "mha_2layer"})
    void aTrainedAdapterLoadsInLlamaCppWithTheSameLogits(String name, @TempDir Path tmp) throws Exception {
        Path modelFile = ROOT.resolve(name).resolve("model.gguf");
        Path out = tmp.resolve("lora.gguf");
        float[] base;
        try (Gemma3Model m = Gemma3Model.load(modelFile, 2)) {
            base = logits(m, TOKENS);
            try (Trainer t = Trainer.create(m, options().build(), data(tmp, m), null)) {
                t.run(new TrainingListener() { });
                t.save(out, "f32");
            }
        }
        float[] ours;
        try (Gemma3Model m = Gemma3Model.load(modelFile, 2)) {
            m.adapter(LoraAdapter.read(out, m.config));
            ours = logits(m, TOKENS);
        }
        assertTrue(maxAbs(ours, base) > 0.1, "the adapter changes the logits");
        double d = maxAbs(llamaCpp(modelFile, out, tmp), ours);
        System.out.printf("finetune interop (%s, trained LoRA adapter): max|jemma − llama.cpp| %.2e%n", name, d);
        assertTrue(d <= TOL_LLAMACPP, "max |jemma − llama.cpp| = " + d);
    }

    @ParameterizedTest
    @ValueSource(strings = {"f16", "bf16"})
    void halfPrecisionOutputsLoadInJemmaAndLlamaCpp(String type, @TempDir Path tmp) throws Exception {
        Path modelFile = ROOT.resolve("mha_2layer").resolve("model.gguf");
        Path out = tmp.resolve("full-" + type + ".gguf");
        float[] trained;
        try (Gemma3Model m = Gemma3Model.load(modelFile, 2);
             Trainer t = Trainer.create(m, options().method(TrainingOptions.Method.FULL).steps(3).build(), data(tmp, m), null)) {
            t.run(new TrainingListener() { });
            trained = logits(t.model(), TOKENS);
            t.save(out, type);
        }
        float[] ours;
        try (Gemma3Model written = Gemma3Model.load(out, 2)) {
            assertEquals(type.toUpperCase(), written.weights.layers[0].q().type.name());
            ours = logits(written, TOKENS);
        }
        assertTrue(maxAbs(ours, trained) < 0.1, "rounding the weights to " + type + " moves the logits a little: " + maxAbs(ours, trained));
        double d = maxAbs(llamaCpp(out, null, tmp), ours);
        System.out.printf("finetune interop (%s output): max|jemma − llama.cpp| %.2e%n", type, d);
        // llama.cpp's CPU product rounds the activations to the weights' type: bf16 keeps 8 bits of mantissa
        double tol = type.equals("bf16") ? 5e-2 : TOL_LLAMACPP;
        assertTrue(d <= tol, "max |jemma − llama.cpp| = " + d);
    }
}
