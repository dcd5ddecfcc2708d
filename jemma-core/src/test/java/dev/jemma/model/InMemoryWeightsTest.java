package dev.jemma.model;

import dev.jemma.tensor.Kernels;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Weights copied into memory ({@code --no-mmap}) give the model exactly the mapped file's logits. */
class InMemoryWeightsTest {
    @Test
    void copiedWeightsGiveTheSameLogitsAsTheMapping() throws Exception {
        int[] tokens = {2, 818, 5279, 529, 7001, 563, 496, 3207, 607};
        float[][] logits = new float[2][];
        for (int i = 0; i < 2; i++) {
            try (Gemma3Model m = Gemma3Model.load(Assets.realModel(), 2, c -> { }, Kernels.configured(), i == 1)) {
                try (InferenceState s = m.newState(64)) {
                    logits[i] = new float[tokens.length * m.vocabRows()];
                    m.forward(s, tokens, 0, tokens.length, logits[i], true);
                }
            }
        }
        assertArrayEquals(logits[0], logits[1], "logits of every position, to the bit");
    }
}
