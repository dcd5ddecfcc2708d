package dev.jemma.vision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.hf.HuggingFaceModel;
import dev.jemma.model.ForwardBatch;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.ImageRuns;
import dev.jemma.model.InferenceState;
import dev.jemma.model.KVType;
import dev.jemma.tensor.Arithmetic;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance (c): the tiny Gemma 3 vision model converted as llama.cpp converts it (text GGUF and mmproj, f32) gives
 * transformers' logits at every position within 1e-4, with the same argmax, for one image, two images, a non-square
 * image and Pan & Scan; the prompt layout equals the processor's ids; without bidirectional image attention the
 * logits move by more than 1e-2.
 */
class VisionLogitsTest {
    @TempDir
    static Path tmp;
    static Path text, mmproj;
    static JsonNode cases;

    @BeforeAll
    static void convert() throws Exception {
        text = tmp.resolve("tiny.gguf");
        mmproj = tmp.resolve("mmproj.gguf");
        try (HuggingFaceModel hf = HuggingFaceModel.open(SiglipEncoderTest.FIXTURES.resolve("tiny-gemma3-vision"))) {
            hf.convert(text, HuggingFaceModel.OutType.F32, null);
            hf.convertMmproj(mmproj, HuggingFaceModel.OutType.F32);
        }
        cases = new ObjectMapper().readTree(ImagePreprocessingTest.DIR.resolve("logits.json").toFile()).get("cases");
    }

    static List<float[]> views(SiglipEncoder enc, JsonNode c) throws Exception {
        ImagePreprocessor p = new ImagePreprocessor(enc.config(), c.get("pan_and_scan").asBoolean() ? PanAndScan.GEMMA3 : null);
        List<float[]> out = new ArrayList<>();
        for (JsonNode f : c.get("images")) {
            out.addAll(enc.encodeViews(ImageDecoder.decode(Files.readAllBytes(ImagePreprocessingTest.DIR.resolve("images").resolve(f.asText()))), p));
        }
        return out;
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    @Test
    void logitsWithImagesMatchTransformers() throws Exception {
        try (Gemma3Model m = Gemma3Model.load(text, 2); VisionModel vm = VisionModel.load(mmproj); SiglipEncoder enc = vm.encoder(2)) {
            vm.checkTextWidth(m.config.hidden());
            ImagePrompt prompt = new ImagePrompt(m.tokenizer);
            int n = vm.config.tokensPerImage(), vocab = m.vocabRows();
            for (JsonNode c : cases) {
                String title = c.get("title").asText();
                int[] ids = ints(c.get("input_ids"));
                List<float[]> views = views(enc, c);
                // the processor's layout, rebuilt from the text
                int[] perImage = new int[c.get("images").size()];
                java.util.Arrays.fill(perImage, views.size() / perImage.length);
                ImagePrompt.Layout layout = c.has("user_text")
                        ? prompt.userTurn(null, c.get("user_text").asText(), perImage, n)     // Jemma's chat turn
                        : prompt.encode(c.get("text").asText(), perImage, n, true);             // the processor's text
                assertArrayEquals(ids, layout.ids(), title + ": prompt ids");
                assertArrayEquals(prompt.runStarts(ids, n), layout.runStarts(), title + ": image runs");
                ImageRuns runs = ImagePrompt.runs(prompt.runStarts(ids, n), views, n);
                float[] got = new float[ids.length * vocab];
                try (InferenceState s = m.newState(ids.length + 1, Math.max(n, 8), KVType.F32)) {
                    m.forward(s, ids, runs, 0, got, true, Arithmetic.FAST);
                }
                JsonNode want = c.get("logits");
                double max = 0;
                for (int t = 0; t < ids.length; t++) {
                    int am = 0, wm = 0;
                    for (int v = 0; v < vocab; v++) {
                        float w = want.get(t).get(v).floatValue();
                        max = Math.max(max, Math.abs(w - got[t * vocab + v]));
                        if (got[t * vocab + v] > got[t * vocab + am]) am = v;
                        if (w > want.get(t).get(wm).floatValue()) wm = v;
                    }
                    assertEquals(wm, am, title + ": argmax at " + t);
                }
                System.err.printf("%s: %d tokens, %d views, max |diff| %.3g%n", title, ids.length, views.size(), max);
                assertTrue(max < 1e-4, title + ": max |diff| " + max);

                // control: the same rows, causal attention only
                float[] causal = new float[ids.length * vocab];
                try (InferenceState s = m.newState(ids.length + 1, ids.length, KVType.F32)) {
                    ForwardBatch b = new ForwardBatch();
                    int[] zeroed = ids.clone();
                    for (int st : runs.starts()) java.util.Arrays.fill(zeroed, st, st + n, 0);
                    b.add(s, zeroed, 0, ids.length, ForwardBatch.Logits.ALL);
                    for (int r = 0; r < runs.count(); r++) {
                        for (int t = 0; t < n; t++) b.embedding(runs.starts()[r] + t, runs.embeddings()[r], t * m.config.hidden(), m.config.hidden());
                    }
                    b.logits(causal);
                    m.forward(b);
                }
                double moved = 0;
                for (int i = 0; i < causal.length; i++) moved = Math.max(moved, Math.abs(causal[i] - got[i]));
                assertTrue(moved > 1e-2, title + ": causal-only control moved the logits by only " + moved);
            }
        }
    }
}
