package dev.jemma.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.generate.TextListener;
import dev.jemma.testutil.Assets;
import dev.jemma.testutil.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The real Gemma 3 270M Q4_K_M against references made by conformance/real_model_reference.py:
 * transformers in fp32 on the file's dequantized weights (logits, greedy answers) and llama.cpp
 * (perplexity). The references are produced by conformance/make-references.sh (scripts/test.sh runs it).
 */
class RealModelConformanceTest {
    static Gemma3Model model;
    static Path refs;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void load() throws Exception {
        refs = Assets.locate("jemma.referenceDir", "JEMMA_REFERENCE_DIR", Assets.repoRoot().resolve("target/reference"),
                "real-model reference outputs (conformance/make-references.sh)");
        model = Gemma3Model.load(Assets.realModel(), 2);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
        model = null; // the test JVM goes on to other classes: let the model's heap go
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"english", "chinese", "code"})
    void logitsOfEveryPositionMatchTransformers(String text) throws Exception {
        compareWithTransformers(text, Integer.MAX_VALUE);
    }

    /** Decode steps (one token at a time, as generation runs) from position 300 to 640, past the 512 window. */
    @Test
    void decodeStepsMatchTransformersPastTheWindow() throws Exception {
        compareWithTransformers("code", 300);
    }

    /** Positions before {@code decodeFrom} run in chunks of 32, later ones one at a time. */
    private static void compareWithTransformers(String text, int decodeFrom) throws Exception {
        int[] tokens = ints(JSON.readTree(refs.resolve(text + ".tokens.json").toFile()).get("tokens"));
        assertTrue(tokens.length >= 256);
        int vocab = model.vocabRows();
        InferenceState s = model.newState(tokens.length);
        float[] ours = new float[Gemma3Model.DEFAULT_CHUNK * vocab];
        float[] ref = new float[vocab];
        double maxAbs = 0, sumAbs = 0;
        int sameArgmax = 0;
        try (Npy npy = new Npy(refs.resolve(text + ".logits.npy"))) {
            assertEquals(tokens.length, npy.rows);
            assertEquals(vocab, npy.cols);
            for (int done = 0; done < tokens.length; ) {
                int chunk = done < decodeFrom ? Gemma3Model.DEFAULT_CHUNK : 1;
                int n = Math.min(Math.min(chunk, tokens.length - done), Math.max(1, decodeFrom - done));
                model.forward(s, tokens, done, n, ours, true);
                for (int t = 0; t < n; t++) {
                    npy.row(done + t, ref, 0);
                    int a = 0, b = 0;
                    for (int i = 0; i < vocab; i++) {
                        float o = ours[t * vocab + i];
                        double d = Math.abs(o - ref[i]);
                        maxAbs = Math.max(maxAbs, d);
                        sumAbs += d;
                        if (o > ours[t * vocab + a]) a = i;
                        if (ref[i] > ref[b]) b = i;
                    }
                    if (a == b) sameArgmax++;
                }
                done += n;
            }
        }
        double rate = sameArgmax / (double) tokens.length;
        System.out.printf("real 270M %s%s: %d positions, max|jemma-transformers| %.3e, mean %.3e, argmax agreement %.4f%n",
                text, decodeFrom < tokens.length ? " (decode steps from " + decodeFrom + ")" : "", tokens.length, maxAbs, sumAbs / ((double) tokens.length * vocab), rate);
        assertTrue(maxAbs <= 1e-2, text + ": max abs " + maxAbs);
        assertTrue(rate >= 0.999, text + ": argmax agreement " + rate);
    }

    @Test
    void greedyAnswersAreIdenticalToTransformers() throws Exception {
        JsonNode cases = JSON.readTree(refs.resolve("greedy.json").toFile());
        assertEquals(10, cases.size());
        int same = 0;
        StringBuilder report = new StringBuilder();
        for (JsonNode c : cases) {
            int[] prompt = ints(c.get("prompt_ids"));
            int[] expected = ints(c.get("generated_ids"));
            try (Session session = new Session(model, 512)) {
                int[] got = session.generate(prompt, SamplingParams.greedy(64), TextListener.NONE).tokens();
                if (Arrays.equals(expected, got)) {
                    same++;
                    continue;
                }
                int step = Arrays.mismatch(expected, got);
                JsonNode margins = c.get("margins");
                String margin = margins != null && step < margins.size()
                        ? String.format("%.4g", margins.get(step).asDouble()) : "n/a";
                report.append("\n").append(c.get("prompt").asText()).append(": first difference at generated token ")
                        .append(step).append(" (transformers' top-1/top-2 logit margin there ").append(margin)
                        .append(")\n  expected ").append(Arrays.toString(expected))
                        .append("\n  got      ").append(Arrays.toString(got));
            }
        }
        System.out.printf("real 270M greedy 64-token answers identical to transformers: %d/10%s%n", same, report);
        assertEquals(10, same, report.toString());
    }

    @Test
    void perplexityAgreesWithLlamaCppWithinOnePercent() throws Exception {
        JsonNode ref = JSON.readTree(refs.resolve("perplexity.json").toFile());
        int ctx = ref.get("ctx").asInt();
        String text = Files.readString(refs.resolve("perplexity.txt"), StandardCharsets.UTF_8);
        // tokenized by Jemma, as `jemma perplexity` does; llama.cpp's own tokens are used as a cross-check
        int[] body = model.tokenizer.encode(text);
        int[] ours = new int[body.length + 1];
        ours[0] = model.tokenizer.bosId();
        System.arraycopy(body, 0, ours, 1, body.length);
        int[] theirs = ints(ref.get("tokens"));
        double pplOurs = Perplexity.compute(model, ours, ctx, -1);
        double pplTheirTokens = Arrays.equals(ours, theirs) ? pplOurs : Perplexity.compute(model, theirs, ctx, -1);
        double pplRef = ref.get("ppl").asDouble();
        System.out.printf("real 270M perplexity (ctx %d, %d chunks, tokens %s llama.cpp's): jemma %.4f (on llama.cpp's tokens %.4f), "
                        + "llama.cpp %.4f, ratio %.5f%n", ctx, ref.get("chunks").asInt(),
                Arrays.equals(ours, theirs) ? "identical to" : "differ from", pplOurs, pplTheirTokens, pplRef, pplOurs / pplRef);
        assertEquals(1.0, pplOurs / pplRef, 0.01);
        assertEquals(1.0, pplTheirTokens / pplRef, 0.01);
    }
}
