package dev.jemma.server.api;

import dev.jemma.model.ImageRuns;

import dev.jemma.model.LinearAdapter;
import dev.jemma.server.engine.ServedModels;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.constrain.Grammar;
import dev.jemma.generate.SamplingParams;
import dev.jemma.tokenizer.Tokenizer;
import dev.jemma.tools.ToolCalling;

import java.util.ArrayList;
import java.util.List;

/**
 * A request of any API, parsed and checked, ready to run: what to generate and the few facts its renderer needs.
 *
 * @param choice        the served model asked for (its id is what responses state) and the adapters it runs with
 * @param prompt        prompt token ids, BOS first
 * @param sampling      sampling and stop settings; choice i samples with seed + i
 * @param grammar       constrains every choice (a response format or the tool-call envelope), or null
 * @param tools         the tool calling in effect (answers are parsed for calls), or null
 * @param n             choices, each a generation of its own
 * @param topLogprobs   -1: no log-probabilities; else the alternatives reported per token
 * @param stream        answer as a stream of events (SSE or NDJSON) rather than one body
 * @param includeUsage  OpenAI streams: a last chunk with usage
 * @param deadlineNanos {@link System#nanoTime()} at which generation ends with finish reason "length"
 * @param images        the prompt's image soft tokens
 */
record GenerationPlan(ServedModels.Choice choice, int[] prompt, SamplingParams sampling, Grammar grammar, ToolCalling tools, int n,
                      int topLogprobs, boolean stream, boolean includeUsage, long deadlineNanos, ImageRuns images) {

    GenerationPlan(ServedModels.Choice choice, int[] prompt, SamplingParams sampling, Grammar grammar, ToolCalling tools, int n,
                   int topLogprobs, boolean stream, boolean includeUsage, long deadlineNanos) {
        this(choice, prompt, sampling, grammar, tools, n, topLogprobs, stream, includeUsage, deadlineNanos, ImageRuns.NONE);
    }

    /** The served model's id, as responses state it. */
    String model() {
        return choice.id();
    }

    boolean logprobs() {
        return topLogprobs >= 0;
    }

    /** The n engine requests; each gets its own constraint (constraints hold per-answer state). */
    List<GenerationRequest> requests(Tokenizer tok, LinearAdapter adapter) {
        List<GenerationRequest> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new GenerationRequest(prompt, sampling.withSeed(sampling.seed() + i),
                    grammar == null ? null : grammar.constraint(tok), topLogprobs, deadlineNanos, adapter, images));
        }
        return out;
    }
}
