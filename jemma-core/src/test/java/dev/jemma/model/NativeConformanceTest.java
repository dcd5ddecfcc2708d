package dev.jemma.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.generate.TextListener;
import dev.jemma.tensor.Arithmetic;
import dev.jemma.tensor.Kernels;
import dev.jemma.tensor.NativeKernels;
import dev.jemma.testutil.Assets;
import dev.jemma.testutil.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The real 270M on the native kernels, against llama.cpp (references by conformance/llamacpp_logits_reference.py)
 * and transformers (real_model_reference.py). The native kernels quantize activations to 8 bits as llama.cpp does,
 * so they cannot stay within RealModelConformanceTest's 1e-2 of transformers: llama.cpp itself is 1.8–5.1 away at
 * worst, 0.17–0.26 on average. What is checked instead:
 * <ul>
 * <li>logits: the native path's mean distance to transformers is llama.cpp's (within ±25%), its argmax agrees with
 * transformers as often as llama.cpp's does (≥ 0.9), and it stays near llama.cpp (mean ≤ 0.35). Two 8-bit paths do
 * not match each other closely: a last-bit difference upstream (llama.cpp's GELU table, its sum orders) flips
 * some activation roundings, and attention spreads those over later positions;</li>
 * <li>perplexity within 1% of llama.cpp's;</li>
 * <li>greedy answers: identical to llama.cpp's, or first different at a near-tie (top-1/top-2 logit margin below
 * 0.25) that 8-bit noise decides either way: llama.cpp's margin there, or the exact (transformers) model's where its
 * answer is the same up to there.</li>
 * </ul>
 */
class NativeConformanceTest {
    static Gemma3Model model;
    static Path refs;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void load() throws Exception {
        if (Boolean.getBoolean("jemma.requireNative")) {
            assertTrue(NativeKernels.available(), "native kernels required: " + NativeKernels.unavailableReason());
        }
        Assumptions.assumeTrue(NativeKernels.available(), () -> "native kernels unavailable: " + NativeKernels.unavailableReason());
        refs = Assets.locate("jemma.referenceDir", "JEMMA_REFERENCE_DIR", Assets.repoRoot().resolve("target/reference"),
                "real-model reference outputs (conformance/make-references.sh)");
        model = Gemma3Model.load(Assets.realModel(), 2);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
        model = null;
    }

    /** mean |ours − ref| and argmax agreement over a text's positions. */
    record Distance(double mean, double argmax) {
        @Override
        public String toString() {
            return String.format("mean %.4f, argmax agreement %.4f", mean, argmax);
        }
    }

    /** Distances of every position's logits (native, batch-invariant chunks of 32) to the two references. */
    @ParameterizedTest
    @ValueSource(strings = {"english", "chinese", "code"})
    void logitsCarryLlamaCppsQuantizationError(String text) throws Exception {
        model.kernels(Kernels.NATIVE);
        int[] tokens = RealModelConformanceTest.ints(JSON.readTree(refs.resolve(text + ".tokens.json").toFile()).get("tokens"));
        int vocab = model.vocabRows(), chunk = 32;
        float[] ours = new float[chunk * vocab], tf = new float[vocab], lc = new float[vocab];
        double[] sum = new double[3]; // ours–tf, ours–llama.cpp, llama.cpp–tf
        int[] same = new int[3];
        try (InferenceState s = model.newState(tokens.length); Npy tfNpy = new Npy(refs.resolve(text + ".logits.npy"));
             Npy lcNpy = new Npy(refs.resolve(text + ".llamacpp.logits.npy"))) {
            assertEquals(tokens.length, lcNpy.rows);
            assertEquals(vocab, lcNpy.cols);
            for (int done = 0; done < tokens.length; done += chunk) {
                int n = Math.min(chunk, tokens.length - done);
                model.forward(s, tokens, done, n, ours, true, Arithmetic.BATCH_INVARIANT);
                for (int t = 0; t < n; t++) {
                    tfNpy.row(done + t, tf, 0);
                    lcNpy.row(done + t, lc, 0);
                    int a = 0, b = 0, c = 0;
                    for (int i = 0; i < vocab; i++) {
                        float o = ours[t * vocab + i];
                        sum[0] += Math.abs(o - tf[i]);
                        sum[1] += Math.abs(o - lc[i]);
                        sum[2] += Math.abs(lc[i] - tf[i]);
                        if (o > ours[t * vocab + a]) a = i;
                        if (tf[i] > tf[b]) b = i;
                        if (lc[i] > lc[c]) c = i;
                    }
                    if (a == b) same[0]++;
                    if (a == c) same[1]++;
                    if (c == b) same[2]++;
                }
            }
        }
        double positions = tokens.length, cells = positions * vocab;
        Distance toTf = new Distance(sum[0] / cells, same[0] / positions), toLc = new Distance(sum[1] / cells, same[1] / positions),
                lcToTf = new Distance(sum[2] / cells, same[2] / positions);
        System.out.printf("real 270M %s, native kernels: vs transformers %s; vs llama.cpp %s; llama.cpp vs transformers %s%n",
                text, toTf, toLc, lcToTf);
        assertEquals(1.0, toTf.mean() / lcToTf.mean(), 0.25, text + ": native's error is not llama.cpp's in size");
        assertTrue(toTf.argmax() >= 0.9, text + ": argmax agreement with transformers " + toTf.argmax());
        assertTrue(toLc.mean() <= 0.35, text + ": mean distance to llama.cpp " + toLc.mean());
    }

    @Test
    void greedyAnswersAreLlamaCpps() throws Exception {
        model.kernels(Kernels.NATIVE);
        JsonNode cases = JSON.readTree(refs.resolve("greedy.llamacpp.json").toFile());
        JsonNode exact = JSON.readTree(refs.resolve("greedy.json").toFile());
        assertEquals(10, cases.size());
        int same = 0;
        StringBuilder report = new StringBuilder();
        for (int ci = 0; ci < cases.size(); ci++) {
            JsonNode c = cases.get(ci), tf = exact.get(ci);
            int[] prompt = RealModelConformanceTest.ints(c.get("prompt_ids"));
            assertArrayEquals(RealModelConformanceTest.ints(tf.get("prompt_ids")), prompt, "the two references' prompts");
            int[] expected = RealModelConformanceTest.ints(c.get("generated_ids"));
            int[] exactAnswer = RealModelConformanceTest.ints(tf.get("generated_ids"));
            try (Session session = new Session(model, 512)) {
                int[] got = session.generate(prompt, SamplingParams.greedy(64), TextListener.NONE).tokens();
                if (Arrays.equals(expected, got)) {
                    same++;
                    continue;
                }
                int step = Arrays.mismatch(expected, got);
                double margin = margin(c, step);
                // a near-tie of the exact model (transformers, same answer so far) is one that 8-bit noise decides
                // either way: llama.cpp's noise may widen it (its margin there 0.31 against the exact 0.037) and ours
                // tip it the other way
                int exactAgrees = Arrays.mismatch(expected, exactAnswer);
                double exactMargin = exactAgrees < 0 || exactAgrees >= step ? margin(tf, step) : Double.NaN;
                boolean exactTie = exactMargin < NEAR_TIE;
                report.append("\n").append(c.get("prompt").asText()).append(": first difference at token ").append(step)
                        .append(String.format(" (top-1/top-2 margin there: llama.cpp %.4g, transformers %.4g)",
                                margin, exactMargin));
                assertTrue(margin < NEAR_TIE || exactTie, "not a near-tie: " + report);
            }
        }
        System.out.printf("real 270M greedy answers on the native kernels identical to llama.cpp's: %d/10%s%n", same, report);
    }

    /** a top-1/top-2 logit margin that 8-bit activation noise may overturn */
    private static final double NEAR_TIE = 0.25;

    private static double margin(JsonNode reference, int step) {
        JsonNode m = reference.get("margins");
        return m != null && step < m.size() ? m.get(step).asDouble() : Double.NaN;
    }

    @Test
    void perplexityIsLlamaCpps() throws Exception {
        model.kernels(Kernels.NATIVE);
        JsonNode ref = JSON.readTree(refs.resolve("perplexity.json").toFile());
        int[] tokens = RealModelConformanceTest.ints(ref.get("tokens"));
        double ours = Perplexity.compute(model, tokens, ref.get("ctx").asInt(), -1);
        double theirs = ref.get("ppl").asDouble();
        System.out.printf("real 270M perplexity on llama.cpp's tokens: native kernels %.4f, llama.cpp %.4f, ratio %.5f%n", ours, theirs, ours / theirs);
        assertEquals(1.0, ours / theirs, 0.01);
    }
}
