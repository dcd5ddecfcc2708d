package dev.jemma.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InferenceState;
import dev.jemma.model.LinearAdapter;
import dev.jemma.model.Projection;
import dev.jemma.testutil.Assets;
import dev.jemma.testutil.Npy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/** Shared by the adapter tests: the synthetic f32 model the LoRA fixtures were made for, random adapters, logits. */
final class LoraFixtures {
    private LoraFixtures() {}

    static Path synthetic(String name) {
        return Assets.repoRoot().resolve("jemma-core/src/test/resources/fixtures/synthetic").resolve(name);
    }

    static Path lora() {
        return Assets.repoRoot().resolve("jemma-core/src/test/resources/fixtures/lora");
    }

    static int[] tokens(Path caseDir) throws IOException {
        JsonNode t = new ObjectMapper().readTree(caseDir.resolve("tokens.json").toFile()).get("tokens");
        int[] tokens = new int[t.size()];
        for (int i = 0; i < tokens.length; i++) tokens[i] = t.get(i).asInt();
        return tokens;
    }

    /** Every position's logits, in one pass over a fresh sequence (which takes the model's adapter). */
    static float[] logits(Gemma3Model m, int[] tokens) {
        float[] out = new float[tokens.length * m.vocabRows()];
        try (InferenceState s = m.newState(Math.max(tokens.length, 16), tokens.length)) {
            m.forward(s, tokens, 0, tokens.length, out, true);
        }
        return out;
    }

    /** The model at path with an adapter set before any sequence, closed by the caller. */
    static Gemma3Model load(Path model, LinearAdapter adapter) throws IOException {
        Gemma3Model m = Gemma3Model.load(model, 2);
        m.adapter(adapter);
        return m;
    }

    static LoraAdapter random(dev.jemma.model.GemmaConfig c, int rank, float alpha, Set<Projection> targets, long seed, float stdA, float stdB) {
        return LoraAdapter.create(c, rank, alpha, targets).fillGaussian(seed, stdA, stdB);
    }

    static double maxAbs(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    static double maxAbs(float[] ours, Npy ref) {
        float[] row = new float[ref.cols];
        double m = 0;
        for (int r = 0; r < ref.rows; r++) {
            ref.row(r, row, 0);
            for (int i = 0; i < ref.cols; i++) m = Math.max(m, Math.abs(ours[r * ref.cols + i] - row[i]));
        }
        return m;
    }
}
