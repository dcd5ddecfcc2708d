package dev.jemma.model;

import dev.jemma.JemmaException;
import dev.jemma.testutil.Npy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A quantized KV cache on the synthetic models, against transformers fp32 (whose cache is exact):
 * the gap is the storage rounding of keys and values only, and shrinks with the type's precision.
 * Sequences are 3–6× the window, computed in chunks of several sizes.
 */
class KVTypeConformanceTest {
    /**
     * f16 keeps 11 significant bits; q8_0 about 8 bits of each 32-value block's range. On these
     * random-weight models (logits spread over several units) the measured gaps are ≤ 2.8e-2 (f16) and
     * ≤ 0.44 (q8_0, the 62-layer case), the same order as llama.cpp's own 8-bit activation rounding
     * (≤ 0.43 on the same files). The real model's argmax agreement is checked in KVTypeRealModelTest.
     */
    static final double TOL_F16 = 0.04;
    static final double TOL_Q8_0 = 0.6;

    @Test
    void quantizedCachesStayCloseToTheExactLogits() throws IOException {
        for (String name : new String[] {"f32_two_global", "f32_27b_scale", "q8_0", "q4_k_m_mix"}) {
            Path dir = SyntheticModelConformanceTest.fixtures().resolve(name);
            int[] tokens = tokens(dir);
            try (Gemma3Model model = Gemma3Model.load(dir.resolve("model.gguf"), 2);
                 Npy hf = new Npy(dir.resolve("logits_hf.npy"))) {
                double f32 = SyntheticModelConformanceTest.maxAbs(run(model, tokens, 32, KVType.F32), hf, model.vocabRows());
                for (int chunk : new int[] {32, 1, 7}) {
                    double f16 = SyntheticModelConformanceTest.maxAbs(run(model, tokens, chunk, KVType.F16), hf, model.vocabRows());
                    double q8 = SyntheticModelConformanceTest.maxAbs(run(model, tokens, chunk, KVType.Q8_0), hf, model.vocabRows());
                    System.out.printf("%s chunk=%d max|jemma-hf| f32 %.2e  f16 %.2e  q8_0 %.2e%n", name, chunk, f32, f16, q8);
                    assertTrue(f16 <= TOL_F16, name + " f16: " + f16);
                    // the storage type is really used: coarser storage, larger gap
                    assertTrue(f32 < f16 && f16 < q8, name + ": f32 " + f32 + " f16 " + f16 + " q8_0 " + q8);
                    assertTrue(q8 <= TOL_Q8_0, name + " q8_0: " + q8);
                }
            }
        }
    }

    @Test
    void q8_0NeedsWholeBlocksPerHead() throws IOException {
        // f32_basic has head_dim 16: a 32-value block would straddle two heads
        Path dir = SyntheticModelConformanceTest.fixtures().resolve("f32_basic");
        try (Gemma3Model model = Gemma3Model.load(dir.resolve("model.gguf"), 1)) {
            JemmaException e = assertThrows(JemmaException.class, () -> model.newState(16, KVType.Q8_0));
            assertTrue(e.getMessage().contains("head dimension"), e.getMessage());
            model.newState(16, KVType.F16).close();
        }
    }

    static int[] tokens(Path dir) throws IOException {
        JsonNode t = new ObjectMapper().readTree(dir.resolve("tokens.json").toFile()).get("tokens");
        int[] tokens = new int[t.size()];
        for (int i = 0; i < tokens.length; i++) tokens[i] = t.get(i).asInt();
        return tokens;
    }

    static float[] run(Gemma3Model model, int[] tokens, int chunk, KVType type) {
        int vocab = model.vocabRows();
        float[] all = new float[tokens.length * vocab];
        float[] part = new float[chunk * vocab];
        try (InferenceState s = model.newState(tokens.length, chunk, type)) {
            for (int done = 0; done < tokens.length; done += chunk) {
                int n = Math.min(chunk, tokens.length - done);
                model.forward(s, tokens, done, n, part, true);
                System.arraycopy(part, 0, all, done * vocab, n * vocab);
            }
        }
        return all;
    }
}
