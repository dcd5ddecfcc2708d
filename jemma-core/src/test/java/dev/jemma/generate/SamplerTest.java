package dev.jemma.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SamplerTest {
    private static final SamplingParams BASE = SamplingParams.GEMMA_DEFAULTS.withSeed(42);

    @Test
    void greedyPicksArgmaxWithinTheTokenizerRange() {
        float[] logits = {0.1f, 3f, 2f, 9f};
        // the 4th row exists in the embedding table but not in the tokenizer
        assertEquals(1, new Sampler(BASE.withTemperature(0), 4, 3).sample(logits.clone()));
        assertEquals(3, new Sampler(BASE.withTemperature(0), 4, 4).sample(logits.clone()));
    }

    @Test
    void topKOneIsGreedy() {
        float[] logits = {0.5f, 0.1f, 0.7f, 0.2f};
        Sampler s = new Sampler(BASE.withTopK(1), 4, 4);
        for (int i = 0; i < 20; i++) assertEquals(2, s.sample(logits.clone()));
    }

    @Test
    void sameSeedSameSequence() {
        float[] logits = new float[50];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.sin(i);
        Sampler a = new Sampler(BASE.withTopK(0).withTopP(1f), 50, 50);
        Sampler b = new Sampler(BASE.withTopK(0).withTopP(1f), 50, 50);
        for (int i = 0; i < 100; i++) assertEquals(a.sample(logits.clone()), b.sample(logits.clone()));
    }

    @Test
    void samplingFollowsTheSoftmaxDistribution() {
        float[] logits = {0f, (float) Math.log(3)}; // p = 0.25, 0.75
        Sampler s = new Sampler(BASE.withTopK(0).withTopP(1f), 2, 2);
        int ones = 0, n = 20000;
        for (int i = 0; i < n; i++) ones += s.sample(logits.clone());
        assertEquals(0.75, ones / (double) n, 0.02);
    }

    @Test
    void topPKeepsTheSmallestSufficientPrefix() {
        // p ≈ 0.665, 0.245, 0.09: top_p 0.6 keeps only the first
        float[] logits = {2f, 1f, 0f};
        Sampler s = new Sampler(BASE.withTopK(0).withTopP(0.6f), 3, 3);
        for (int i = 0; i < 200; i++) assertEquals(0, s.sample(logits.clone()));
    }

    @Test
    void minPDropsUnlikelyTokens() {
        float[] logits = {5f, 4.9f, 0f, 0f};
        Sampler s = new Sampler(BASE.withTopK(0).withTopP(1f).withMinP(0.5f), 4, 4);
        for (int i = 0; i < 500; i++) assertTrue(s.sample(logits.clone()) <= 1);
    }

    @Test
    void repetitionPenaltyDemotesSeenTokens() {
        float[] logits = {2f, 1.5f};
        Sampler s = new Sampler(BASE.withTemperature(0).withPenalties(2f, 0f, 0f), 2, 2);
        s.accept(0);
        assertEquals(1, s.sample(logits.clone())); // 2/2 = 1 < 1.5
    }

    @Test
    void frequencyAndPresencePenaltiesSubtract() {
        float[] logits = {2f, 1.5f};
        Sampler s = new Sampler(BASE.withTemperature(0).withPenalties(1f, 0.3f, 0.2f), 2, 2);
        s.accept(0);
        s.accept(0);
        float[] l = logits.clone();
        assertEquals(1, s.sample(l)); // 2 − 0.2·2 − 0.3 = 1.3 < 1.5
        assertEquals(1.3f, l[0], 1e-6);
        assertEquals(1.5f, l[1], 1e-6);
    }

    @Test
    void invalidParametersAreRejectedWithTheirName() {
        var e = assertThrows(dev.jemma.JemmaException.class, () -> BASE.withTemperature(Float.NaN));
        assertTrue(e.getMessage().contains("temperature"));
        assertThrows(dev.jemma.JemmaException.class, () -> BASE.withTopP(1.5f));
        assertThrows(dev.jemma.JemmaException.class, () -> BASE.withTopK(-1));
        assertThrows(dev.jemma.JemmaException.class, () -> BASE.withStop(List.of("")));
    }
}
