package dev.jemma.generate;

import dev.jemma.JemmaException;

import java.util.List;

/**
 * How to pick each next token and when to stop. Defaults are Gemma's: temperature 1.0, top-k 64,
 * top-p 0.95. Temperature 0 means greedy. Penalties follow the usual definitions: repetition
 * (llama.cpp/CTRL style: positive logits divided, negative multiplied, over the last
 * {@code penaltyWindow} tokens), presence and frequency (OpenAI style, subtracted).
 */
public record SamplingParams(
        float temperature,
        int topK,
        float topP,
        float minP,
        float repetitionPenalty,
        float presencePenalty,
        float frequencyPenalty,
        int penaltyWindow,
        long seed,
        int maxTokens,
        List<String> stop) {

    public static final SamplingParams GEMMA_DEFAULTS =
            new SamplingParams(1.0f, 64, 0.95f, 0f, 1f, 0f, 0f, 64, System.nanoTime(), 512, List.of());

    public static SamplingParams greedy(int maxTokens) {
        return GEMMA_DEFAULTS.withTemperature(0).withMaxTokens(maxTokens);
    }

    public SamplingParams {
        stop = List.copyOf(stop);
        check(Float.isFinite(temperature) && temperature >= 0, "temperature", temperature, "a finite number ≥ 0");
        check(topK >= 0, "top_k", topK, "≥ 0 (0 = off)");
        check(topP > 0 && topP <= 1, "top_p", topP, "in (0, 1]");
        check(minP >= 0 && minP <= 1, "min_p", minP, "in [0, 1]");
        check(Float.isFinite(repetitionPenalty) && repetitionPenalty > 0, "repetition_penalty", repetitionPenalty, "a finite number > 0");
        check(Float.isFinite(presencePenalty) && Math.abs(presencePenalty) <= 2, "presence_penalty", presencePenalty, "in [-2, 2]");
        check(Float.isFinite(frequencyPenalty) && Math.abs(frequencyPenalty) <= 2, "frequency_penalty", frequencyPenalty, "in [-2, 2]");
        check(penaltyWindow >= 0, "penalty window", penaltyWindow, "≥ 0");
        check(maxTokens >= 1, "max_tokens", maxTokens, "≥ 1");
        for (String s : stop) {
            if (s.isEmpty()) throw new JemmaException("stop strings must not be empty");
        }
    }

    private static void check(boolean ok, String name, Object value, String expected) {
        if (!ok) throw new JemmaException(name + " = " + value + " is invalid: expected " + expected);
    }

    public SamplingParams withTemperature(float t) {
        return new SamplingParams(t, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, penaltyWindow, seed, maxTokens, stop);
    }

    public SamplingParams withTopK(int k) {
        return new SamplingParams(temperature, k, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, penaltyWindow, seed, maxTokens, stop);
    }

    public SamplingParams withTopP(float p) {
        return new SamplingParams(temperature, topK, p, minP, repetitionPenalty, presencePenalty, frequencyPenalty, penaltyWindow, seed, maxTokens, stop);
    }

    public SamplingParams withMinP(float p) {
        return new SamplingParams(temperature, topK, topP, p, repetitionPenalty, presencePenalty, frequencyPenalty, penaltyWindow, seed, maxTokens, stop);
    }

    public SamplingParams withPenalties(float repetition, float presence, float frequency) {
        return new SamplingParams(temperature, topK, topP, minP, repetition, presence, frequency, penaltyWindow, seed, maxTokens, stop);
    }

    public SamplingParams withSeed(long s) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, penaltyWindow, s, maxTokens, stop);
    }

    public SamplingParams withMaxTokens(int n) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, penaltyWindow, seed, n, stop);
    }

    public SamplingParams withStop(List<String> s) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, penaltyWindow, seed, maxTokens, s);
    }
}
