package dev.jemma.adapter;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.Projection;
import dev.jemma.testutil.Assets;
import dev.jemma.testutil.Npy;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jemma's adapters against llama.cpp, both ways, on the synthetic f32_two_global model.
 * Direction 1 (always runs): conformance/lora_interop.py made a PEFT LoRA, converted it with llama.cpp's own
 * convert_lora_to_gguf.py and recorded llama.cpp's logits with it; Jemma reads the same file and must agree.
 * Direction 2 (needs JEMMA_PYTHON, the pinned venv): Jemma writes an adapter and llama-cpp-python evaluates it;
 * the script fails if llama.cpp's log shows the adapter rejected or if it changed nothing.
 */
class LoraInteropTest {
    /**
     * llama.cpp's CPU GELU rounds through an f16 table, so on this model llama.cpp itself sits 5.5e-3 from
     * transformers (and Jemma) without any adapter (info.json): 5e-3 on the logits cannot be met, 1e-2 can.
     */
    static final double TOL_LLAMACPP = 1e-2;
    /** How much the adapter may add to that gap (measured: +0.8e-3 for the PEFT adapter, +0.3e-3 for Jemma's). */
    static final double TOL_ADDED = 2e-3;
    /** Jemma computes in f32 as transformers does. */
    static final double TOL_PEFT = 1e-3;

    @Test
    void jemmaReadsTheAdapterLlamaCppConvertedFromPeftAndAgreesWithBoth() throws Exception {
        Path dir = LoraFixtures.synthetic("f32_two_global");
        int[] tokens = LoraFixtures.tokens(dir);
        float[] base, adapted;
        try (Gemma3Model m = Gemma3Model.load(dir.resolve("model.gguf"), 2)) {
            base = LoraFixtures.logits(m, tokens);
        }
        try (Gemma3Model m = Gemma3Model.load(dir.resolve("model.gguf"), 2)) {
            LoraAdapter lora = LoraAdapter.read(LoraFixtures.lora().resolve("adapter.gguf"), m.config);
            Assertions.assertEquals(4, lora.rank());
            Assertions.assertEquals(2f, lora.scale());
            m.adapter(lora);
            adapted = LoraFixtures.logits(m, tokens);
        }
        try (Npy lc = new Npy(LoraFixtures.lora().resolve("logits_llamacpp.npy"));
             Npy hf = new Npy(LoraFixtures.lora().resolve("logits_peft_hf.npy"));
             Npy lcBase = new Npy(dir.resolve("logits_llamacpp.npy"))) {
            double dLc = LoraFixtures.maxAbs(adapted, lc), dHf = LoraFixtures.maxAbs(adapted, hf);
            double dBase = LoraFixtures.maxAbs(base, lcBase), moved = LoraFixtures.maxAbs(base, adapted);
            System.out.printf("lora interop: max|jemma-llama.cpp| %.2e (base model: %.2e), max|jemma-peft| %.2e, adapter moved %.2f%n",
                    dLc, dBase, dHf, moved);
            assertTrue(moved > 1, "the adapter acts (moved " + moved + ")");
            assertTrue(dHf <= TOL_PEFT, "max |jemma − PEFT| = " + dHf);
            assertTrue(dLc <= TOL_LLAMACPP, "max |jemma − llama.cpp| = " + dLc);
            assertTrue(dLc <= dBase + TOL_ADDED, "the adapter widens the gap to llama.cpp from " + dBase + " to " + dLc);
        }
    }

    @Test
    void llamaCppReadsAnAdapterJemmaWrote(@TempDir Path tmp) throws Exception {
        String python = System.getenv("JEMMA_PYTHON");
        if (python == null || python.isBlank()) {
            String msg = "JEMMA_PYTHON (the conformance venv's python, with llama-cpp-python) is not set";
            if (Assets.required()) Assertions.fail(msg);
            Assumptions.abort(msg);
        }
        Path dir = LoraFixtures.synthetic("f32_two_global");
        int[] tokens = LoraFixtures.tokens(dir);
        Path model = dir.resolve("model.gguf");
        GemmaConfig c;
        try (GGUFFile f = GGUFFile.open(model)) {
            c = GemmaConfig.fromGGUF(f.metadata());
        }
        LoraAdapter lora = LoraFixtures.random(c, 3, 6f, EnumSet.of(Projection.Q, Projection.V, Projection.O, Projection.GATE, Projection.DOWN), 11, 0.1f, 0.05f);
        Path file = tmp.resolve("jemma-lora.gguf");
        lora.write(file);
        float userScale = 0.5f;
        Path out = tmp.resolve("llamacpp.npy");
        Process p = new ProcessBuilder(python, Assets.repoRoot().resolve("conformance/lora_interop.py").toString(), "logits",
                "--model", model.toString(), "--lora", file.toString(), "--scale", Float.toString(userScale),
                "--tokens", Arrays.stream(tokens).mapToObj(Integer::toString).collect(Collectors.joining(",")), "--out", out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "lora_interop.py timed out");
        Assertions.assertEquals(0, p.exitValue(), "lora_interop.py logits failed:\n" + log);
        float[] ours, base;
        try (Gemma3Model m = Gemma3Model.load(model, 2)) {
            base = LoraFixtures.logits(m, tokens);
        }
        try (Gemma3Model m = LoraFixtures.load(model, LoraAdapter.read(file, c).withScale(userScale))) {
            ours = LoraFixtures.logits(m, tokens);
        }
        try (Npy lc = new Npy(out); Npy lcBase = new Npy(dir.resolve("logits_llamacpp.npy"))) {
            double d = LoraFixtures.maxAbs(ours, lc), dBase = LoraFixtures.maxAbs(base, lcBase);
            System.out.printf("lora interop (Jemma-written adapter in llama.cpp): max|jemma-llama.cpp| %.2e (base model: %.2e)%n", d, dBase);
            assertTrue(d <= TOL_LLAMACPP, "max |jemma − llama.cpp| = " + d);
            assertTrue(d <= dBase + TOL_ADDED, "the adapter widens the gap to llama.cpp from " + dBase + " to " + d);
        }
    }
}
