package dev.jemma.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.generate.TokenEvent;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.tools.ToolCall;
import dev.jemma.tools.ToolCalling;
import dev.jemma.tools.ToolChoice;
import dev.jemma.tools.ToolDefinition;
import dev.jemma.tools.ToolException;
import dev.jemma.tools.ToolResponse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * POST /v1/chat/completions, streamed (SSE, serving conventions A2) or not. n choices run as n requests in
 * the batch scheduler. With tools the answer is the constrained envelope, so a streamed answer is sent whole
 * when it ends (as content, or as tool_calls with finish_reason "tool_calls").
 */
final class ChatCompletions {
    static final Set<String> KNOWN = Set.of("model", "messages", "max_tokens", "max_completion_tokens", "temperature",
            "top_p", "top_k", "min_p", "repetition_penalty", "presence_penalty", "frequency_penalty", "seed", "stop",
            "n", "stream", "stream_options", "logprobs", "top_logprobs", "response_format", "tools", "tool_choice",
            "parallel_tool_calls", "user", "logit_bias", "timeout", "store", "metadata");
    /** Known OpenAI fields Jemma does not implement: refused when set. */
    static final Set<String> UNSUPPORTED = Set.of("functions", "function_call", "audio", "modalities", "prediction",
            "web_search_options", "reasoning_effort", "service_tier", "verbosity", "n_probs", "id_slot", "n_keep",
            "n_discard", "grammar", "json_schema", "cache_prompt", "best_of", "echo", "suffix");

    private final JemmaServer server;

    ChatCompletions(JemmaServer server) {
        this.server = server;
    }

    /** A parsed request, ready to submit. */
    record Plan(ServedModel model, ChatPrompt prompt, List<GenerationRequest> requests, boolean stream,
                boolean includeUsage, boolean logprobs) {}

    Plan plan(ObjectNode body, ServedModel m) {
        Params p = Params.of(body);
        p.allowOnly(KNOWN, UNSUPPORTED);
        m.checkModel(p.string("model", null));
        p.string("user", null);
        if (p.has("store") && p.bool("store", false)) throw ApiException.unsupported("store", "completions are not stored");
        p.object("metadata");
        ObjectNode bias = p.object("logit_bias");
        if (bias != null && !bias.isEmpty()) throw ApiException.unsupported("logit_bias", "remove it or send an empty object");
        boolean parallelCalls = p.bool("parallel_tool_calls", true); // false: exactly one call per answer
        boolean stream = p.bool("stream", false);
        boolean includeUsage = false;
        Params so = p.sub("stream_options");
        if (so != null) {
            so.allowOnly(Set.of("include_usage", "include_obfuscation"), Set.of());
            includeUsage = so.bool("include_usage", false);
            so.bool("include_obfuscation", false);
            if (!stream) throw ApiException.invalid("stream_options", "'stream_options' is only allowed with stream: true");
        }
        int n = (int) p.integer("n", 1, 1, server.config.maxN());
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
        List<ToolCalling.Message> messages = ChatMessages.openAi(p.array("messages"), server.config.maxPromptChars());
        ChatPrompt prompt = ChatPrompt.build(m, messages, tools, choice, format, parallelCalls);
        if (prompt.ids().length >= m.ctx) throw ApiException.contextExceeded(prompt.ids().length, m.ctx);
        long seed = SamplingRequest.seed(p);
        SamplingParams sp = SamplingRequest.parse(p, prompt.ids().length, m.ctx, 0, seed);
        long deadline = server.deadline(p);
        List<GenerationRequest> reqs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            var c = prompt.grammar() == null ? null : prompt.grammar().constraint(m.tok);
            reqs.add(server.hook(new GenerationRequest(prompt.ids(), sp.withSeed(seed + i), c, logprobs ? top : -1, deadline)));
        }
        return new Plan(m, prompt, reqs, stream, includeUsage, logprobs);
    }

    void handle(Exchange ex, ObjectNode body, String requestId) throws IOException {
        ServedModel m = server.model();
        Plan plan = plan(body, m);
        String id = "chatcmpl-" + requestId;
        long created = System.currentTimeMillis() / 1000;
        try (Generation gen = server.start(plan.requests())) {
            if (plan.stream()) stream(ex, plan, gen, id, created, requestId);
            else whole(ex, plan, gen, id, created, requestId);
        }
    }

    private ObjectNode base(String id, long created, String object, ServedModel m) {
        ObjectNode o = Json.object();
        o.put("id", id);
        o.put("object", object);
        o.put("created", created);
        o.put("model", m.id);
        o.put("system_fingerprint", JemmaServer.FINGERPRINT);
        return o;
    }

    private void whole(Exchange ex, Plan plan, Generation gen, String id, long created, String requestId) throws IOException {
        int n = plan.requests().size();
        GenerationResult[] results = new GenerationResult[n];
        List<List<TokenEvent>> tokens = new ArrayList<>();
        for (int i = 0; i < n; i++) tokens.add(new ArrayList<>());
        server.collect(gen, results, plan.logprobs() ? tokens : null);
        ServedModel m = plan.model();
        ObjectNode o = base(id, created, "chat.completion", m);
        ArrayNode choices = o.putArray("choices");
        int completion = 0;
        for (int i = 0; i < n; i++) {
            GenerationResult r = results[i];
            completion += r.generatedTokens();
            ObjectNode c = choices.addObject();
            c.put("index", i);
            ObjectNode msg = c.putObject("message");
            msg.put("role", "assistant");
            String finish = r.finishReason().apiName();
            ToolResponse tr = plan.prompt().tools() == null ? null : plan.prompt().tools().parse(r.text());
            if (tr != null && tr.hasToolCalls()) {
                msg.putNull("content");
                ArrayNode calls = msg.putArray("tool_calls");
                for (ToolCall call : tr.toolCalls()) {
                    ObjectNode tc = calls.addObject();
                    tc.put("id", call.id());
                    tc.put("type", "function");
                    ObjectNode f = tc.putObject("function");
                    f.put("name", call.name());
                    f.put("arguments", call.arguments()); // a JSON string, as OpenAI sends it
                }
                if (finish.equals("stop")) finish = "tool_calls";
            } else {
                msg.put("content", tr != null ? tr.content() : r.text());
            }
            msg.putNull("refusal");
            if (plan.logprobs()) {
                ArrayNode content = c.putObject("logprobs").putArray("content");
                for (TokenEvent e : tokens.get(i)) if (e.tokenId() >= 0) content.add(Logprobs.entry(m.tok, e));
            } else {
                c.putNull("logprobs");
            }
            c.put("finish_reason", finish);
        }
        o.set("usage", usage(results[0].promptTokens(), completion, results[0]));
        o.set("timings", JemmaServer.timings(results));
        server.sendJson(ex, 200, o);
    }

    static ObjectNode usage(int prompt, int completion, GenerationResult r) {
        ObjectNode u = Json.object();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        u.putObject("prompt_tokens_details").put("cached_tokens", r == null ? 0 : r.promptTokens() - r.prefilledTokens());
        return u;
    }

    private void stream(Exchange ex, Plan plan, Generation gen, String id, long created, String requestId) throws IOException {
        ServedModel m = plan.model();
        int n = plan.requests().size();
        boolean tools = plan.prompt().tools() != null;
        StringBuilder[] held = new StringBuilder[n];
        GenerationResult[] results = new GenerationResult[n];
        StreamWriter w = server.writer(ex, true);
        for (int i = 0; i < n; i++) {
            held[i] = new StringBuilder();
            ObjectNode c = chunk(id, created, m, i);
            ObjectNode d = (ObjectNode) c.get("choices").get(0).get("delta");
            d.put("role", "assistant");
            d.put("content", "");
            w.event(c.toString());
        }
        try {
            while (gen.open() > 0) {
                Generation.Item it = server.next(gen, w);
                if (it == null) continue;
                int i = it.index();
                if (it.token() != null) {
                    TokenEvent e = it.token();
                    if (tools) {
                        held[i].append(e.text());
                        continue;
                    }
                    boolean lp = plan.logprobs() && e.tokenId() >= 0;
                    if (e.text().isEmpty() && !lp) continue;
                    ObjectNode c = chunk(id, created, m, i);
                    ObjectNode ch = (ObjectNode) c.get("choices").get(0);
                    ((ObjectNode) ch.get("delta")).put("content", e.text());
                    if (lp) ch.putObject("logprobs").putArray("content").add(Logprobs.entry(m.tok, e));
                    w.event(c.toString());
                    continue;
                }
                Generation.End end = it.end();
                if (end.error() != null) {
                    server.streamError(w, end.error(), requestId);
                    return;
                }
                GenerationResult r = results[i] = end.result();
                String finish = r.finishReason().apiName();
                if (tools) {
                    ToolResponse tr = plan.prompt().tools().parse(held[i].toString());
                    ObjectNode c = chunk(id, created, m, i);
                    ObjectNode d = (ObjectNode) c.get("choices").get(0).get("delta");
                    if (tr.hasToolCalls()) {
                        ArrayNode calls = d.putArray("tool_calls");
                        for (int k = 0; k < tr.toolCalls().size(); k++) {
                            ToolCall call = tr.toolCalls().get(k);
                            ObjectNode tc = calls.addObject();
                            tc.put("index", k);
                            tc.put("id", call.id());
                            tc.put("type", "function");
                            tc.putObject("function").put("name", call.name()).put("arguments", call.arguments());
                        }
                        if (finish.equals("stop")) finish = "tool_calls";
                    } else {
                        d.put("content", tr.content());
                    }
                    w.event(c.toString());
                }
                ObjectNode c = chunk(id, created, m, i);
                ((ObjectNode) c.get("choices").get(0)).put("finish_reason", finish);
                w.event(c.toString());
            }
            if (plan.includeUsage()) {
                ObjectNode u = base(id, created, "chat.completion.chunk", m);
                u.putArray("choices");
                int completion = 0;
                for (GenerationResult r : results) completion += r.generatedTokens();
                u.set("usage", usage(results[0].promptTokens(), completion, results[0]));
                u.set("timings", JemmaServer.timings(results));
                w.event(u.toString());
            }
            w.done();
        } catch (IOException e) {
            gen.cancel(); // the client is gone: free the slots now
            throw e;
        }
    }

    private ObjectNode chunk(String id, long created, ServedModel m, int index) {
        ObjectNode c = base(id, created, "chat.completion.chunk", m);
        ObjectNode ch = c.putArray("choices").addObject();
        ch.put("index", index);
        ch.putObject("delta");
        ch.putNull("logprobs");
        ch.putNull("finish_reason");
        return c;
    }

}
