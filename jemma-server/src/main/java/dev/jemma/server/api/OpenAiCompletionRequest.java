package dev.jemma.server.api;

import dev.jemma.server.engine.ServedModels;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.constrain.Grammar;
import dev.jemma.generate.SamplingParams;
import dev.jemma.server.ServerConfig;
import dev.jemma.server.engine.Engine;
import dev.jemma.server.http.ApiException;

import java.util.Set;

/**
 * POST /v1/completions (the legacy text completion) to a plan: BOS + the prompt as plain text, no chat template.
 * As in OpenAI's API, max_tokens defaults to 16; logprobs is the legacy integer (top alternatives per token).
 */
final class OpenAiCompletionRequest {
    static final Set<String> KNOWN = OpenAiFields.known("prompt");
    static final Set<String> UNSUPPORTED = Set.of("best_of", "echo", "suffix", "n_probs", "id_slot", "n_keep",
            "n_discard", "grammar", "json_schema", "cache_prompt", "max_completion_tokens");
    static final int DEFAULT_MAX_TOKENS = 16;

    private OpenAiCompletionRequest() {}

    static GenerationPlan parse(ObjectNode body, Engine engine, ServerConfig config) {
        Params p = Params.of(body);
        p.allowOnly(KNOWN, UNSUPPORTED);
        ServedModels.Choice model = OpenAiFields.check(p, engine.models());
        if (p.has("prompt") && !p.get("prompt").isTextual()) {
            throw ApiException.invalid("prompt", "'prompt' must be a string (arrays of prompts or token ids are not supported)");
        }
        String prompt = p.string("prompt", null);
        if (prompt == null) throw ApiException.invalid("prompt", "'prompt' is required");
        if (prompt.isEmpty()) throw ApiException.invalid("prompt", "'prompt' must not be empty");
        if (prompt.length() > config.maxPromptChars()) throw ChatMessages.promptTooLong(config.maxPromptChars());
        boolean stream = p.bool("stream", false);
        boolean includeUsage = OpenAiFields.includeUsage(p, stream, Set.of("include_usage"));
        int n = OpenAiFields.n(p, config.maxN());
        int top = (int) p.integer("logprobs", -1, 0, GenerationRequest.MAX_TOP_LOGPROBS);
        Grammar grammar = ResponseFormat.openAi(p);
        int[] ids = PlainPrompt.ids(engine.tokenizer(), prompt);
        SamplingParams sp = SamplingOptions.parse(p, SamplingOptions.OPENAI, ids.length, engine.model().contextLength(),
                DEFAULT_MAX_TOKENS, config.maxTokensLimit(), "prompt");
        return new GenerationPlan(model, ids, sp, grammar, null, n, top, stream, includeUsage,
                Deadline.of(p, config.requestTimeout()));
    }
}
