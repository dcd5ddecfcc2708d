package dev.jemma.cli;

import dev.jemma.generate.SamplingParams;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Sampling flags shared by run and chat; defaults are Gemma's. */
public final class SamplingOptions {
    @Option(names = {"-n", "--max-tokens"}, description = "most tokens to generate (default: ${DEFAULT-VALUE})")
    int maxTokens = 512;
    @Option(names = "--temperature", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature = 1.0f;
    @Option(names = "--top-k", description = "0 = off (default: ${DEFAULT-VALUE})")
    int topK = 64;
    @Option(names = "--top-p", description = "(default: ${DEFAULT-VALUE})")
    float topP = 0.95f;
    @Option(names = "--min-p", description = "(default: ${DEFAULT-VALUE})")
    float minP = 0f;
    @Option(names = "--repeat-penalty", description = "1 = off (default: ${DEFAULT-VALUE})")
    float repeatPenalty = 1f;
    @Option(names = "--presence-penalty", description = "(default: ${DEFAULT-VALUE})")
    float presencePenalty = 0f;
    @Option(names = "--frequency-penalty", description = "(default: ${DEFAULT-VALUE})")
    float frequencyPenalty = 0f;
    @Option(names = "--seed", description = "random seed (default: random)")
    Long seed;
    @Option(names = "--stop", description = "stop string (repeatable); never printed")
    List<String> stop = new ArrayList<>();

    /** The --seed given, or null (then {@link #params()} draws one). */
    public Long seed() {
        return seed;
    }

    public SamplingParams params() {
        return SamplingParams.GEMMA_DEFAULTS
                .withTemperature(temperature).withTopK(topK).withTopP(topP).withMinP(minP)
                .withPenalties(repeatPenalty, presencePenalty, frequencyPenalty)
                .withSeed(seed != null ? seed : System.nanoTime())
                .withMaxTokens(maxTokens).withStop(stop);
    }
}
