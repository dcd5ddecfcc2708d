package dev.jemma.quantize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.model.Gemma3Model;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jemma imatrix's sums against transformers' (conformance/imatrix_reference.py: forward hooks on every projection
 * of the tiny Hugging Face Gemma 3, chunk by chunk as llama-imatrix runs them): the same entries, token counts and
 * per-column sums of squares within 1e-4 relative; the file round-trips through llama-imatrix's GGUF layout.
 */
class ImportanceCollectorTest {
    @Test
    void sumsOfSquaresMatchTransformers(@TempDir Path tmp) throws Exception {
        String python = System.getenv("JEMMA_PYTHON");
        if (python == null || python.isBlank()) {
            String msg = "JEMMA_PYTHON (the conformance venv's python, with transformers) is not set";
            if (Assets.required()) Assertions.fail(msg);
            Assumptions.abort(msg);
        }
        Path root = QuantizeInteropTest.root();
        Path folder = root.resolve("jemma-core/src/test/resources/fixtures/hf/tiny-gemma3-text");
        int ctx = 32, chunks = 3;
        int[] tokens = new int[ctx * chunks + 5];
        Random r = new Random(7);
        for (int i = 0; i < tokens.length; i++) tokens[i] = 10 + r.nextInt(600);
        Path tj = tmp.resolve("tokens.json");
        new ObjectMapper().writeValue(tj.toFile(), java.util.Map.of("tokens", tokens));
        Process p = new ProcessBuilder(python, root.resolve("conformance/imatrix_reference.py").toString(), folder.toString(), tj.toString(), "" + ctx)
                .redirectError(tmp.resolve("err.txt").toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), () -> read(tmp.resolve("err.txt")));
        JsonNode ref = new ObjectMapper().readTree(out);

        ImportanceMatrix m;
        try (Gemma3Model model = Gemma3Model.load(folder, 1)) {
            m = ImportanceCollector.compute(model, tokens, ctx, -1, "random", k -> { });
        }
        Path f = tmp.resolve("imatrix.gguf");
        m.write(f);
        ImportanceMatrix back = ImportanceMatrix.read(f);
        assertEquals(chunks, back.chunkCount());
        assertEquals(ctx, back.chunkSize());
        assertEquals(ref.size(), back.entries().size(), "entries");
        double worst = 0;
        for (var it = ref.fields(); it.hasNext(); ) {
            var e = it.next();
            ImportanceMatrix.Entry ours = back.entries().get(e.getKey());
            Assertions.assertNotNull(ours, e.getKey());
            assertEquals(e.getValue().get("count").asLong(), ours.counts()[0], e.getKey() + " count");
            JsonNode sums = e.getValue().get("sums");
            assertEquals(sums.size(), ours.sums().length, e.getKey());
            for (int i = 0; i < sums.size(); i++) {
                double want = sums.get(i).asDouble();
                double rel = Math.abs(ours.sums()[i] - want) / Math.max(Math.abs(want), 1e-6);
                worst = Math.max(worst, rel);
            }
        }
        System.out.printf("[imatrix] %d entries, worst relative difference from transformers %.3g%n", ref.size(), worst);
        assertTrue(worst <= 1e-4, "worst relative difference " + worst);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }
}
