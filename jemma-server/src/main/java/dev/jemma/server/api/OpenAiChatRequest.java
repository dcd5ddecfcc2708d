package dev.jemma.server.api;

import dev.jemma.server.engine.ServedModels;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.generate.SamplingParams;
import dev.jemma.server.ServerConfig;
import dev.jemma.server.engine.Engine;
import dev.jemma.server.http.ApiException;
import dev.jemma.tools.ToolCalling;
import dev.jemma.tools.ToolChoice;
import dev.jemma.tools.ToolDefinition;
import dev.jemma.tools.ToolException;

import java.util.List;
import java.util.Set;

/** POST /v1/chat/completions to a plan. n choices run as n engine requests. */
final class OpenAiChatRequest {
    static final Set<String> KNOWN = OpenAiFields.known("messages", "top_logprobs", "tools", "tool_choice",
            "parallel_tool_calls", "store", "metadata");
    /** Known OpenAI fields Jemma does not implement: refused when set. */
    static final Set<String> UNSUPPORTED = Set.of("functions", "function_call", "audio", "modalities", "prediction",
            "web_search_options", "reasoning_effort", "service_tier", "verbosity", "n_probs", "id_slot", "n_keep",
            "n_discard", "grammar", "json_schema", "cache_prompt", "best_of", "echo", "suffix");

    private OpenAiChatRequest() {}

    static GenerationPlan parse(ObjectNode body, Engine engine, ServerConfig config) {
        Params p = Params.of(body);
        p.allowOnly(KNOWN, UNSUPPORTED);
        ServedModels.Choice model = OpenAiFields.check(p, engine.models());
        if (p.has("store") && p.bool("store", false)) throw ApiException.unsupported("store", "completions are not stored");
        p.object("metadata");
        boolean parallelCalls = p.bool("parallel_tool_calls", true); // false: exactly one call per answer
        boolean stream = p.bool("stream", false);
        boolean includeUsage = OpenAiFields.includeUsage(p, stream, Set.of("include_usage", "include_obfuscation"));
        int n = OpenAiFields.n(p, config.maxN());
        boolean logprobs = p.bool("logprobs", false);
        int top = (int) p.integer("top_logprobs", 0, 0, GenerationRequest.MAX_TOP_LOGPROBS);
        if (p.has("top_logprobs") && !logprobs) throw ApiException.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");

        List<ToolDefinition> tools = List.of();
        ToolChoice choice = ToolChoice.AUTO;
        try {
            if (p.has("tools")) tools = ToolDefinition.fromOpenAi(p.get("tools"));
            if (p.has("tool_choice")) choice = ToolChoice.fromOpenAi(p.get("tool_choice"));
        } catch (ToolException e) {
            throw ApiException.invalid(ChatPrompt.pointerToParam(e.pointer()), e.getMessage());
        }
        if (tools.isEmpty() && p.has("tool_choice") && choice.mode() != ToolChoice.Mode.NONE) {
            throw ApiException.invalid("tool_choice", "'tool_choice' needs 'tools'");
        }
        var format = ResponseFormat.openAi(p);
        List<byte[]> images = engine.vision() == null ? null : new java.util.ArrayList<>();
        List<ToolCalling.Message> messages = ChatMessages.openAi(p.array("messages"), config.maxPromptChars(), images);
        ChatPrompt prompt = ChatPrompt.build(engine, messages, tools, choice, format, parallelCalls,
                images == null ? List.of() : images);
        SamplingParams sp = SamplingOptions.parse(p, SamplingOptions.OPENAI, prompt.ids().length,
                engine.model().contextLength(), 0, config.maxTokensLimit(), "messages");
        return new GenerationPlan(model, prompt.ids(), sp, prompt.grammar(), prompt.tools(), n,
                logprobs ? top : -1, stream, includeUsage, Deadline.of(p, config.requestTimeout()), prompt.images());
    }
}
