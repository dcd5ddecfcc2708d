package dev.jemma.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.generate.TokenEvent;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.IntList;
import dev.jemma.generate.SamplingParams;
import dev.jemma.constrain.Grammar;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * POST /v1/completions (the legacy text completion): BOS + the prompt as plain text, no chat template. As in
 * OpenAI's API, max_tokens defaults to 16. logprobs is the legacy integer (top alternatives per token).
 */
final class Completions {
    static final Set<String> KNOWN = Set.of("model", "prompt", "max_tokens", "temperature", "top_p", "top_k", "min_p",
            "repetition_penalty", "presence_penalty", "frequency_penalty", "seed", "stop", "n", "stream", "stream_options",
            "logprobs", "user", "logit_bias", "response_format", "timeout");
    static final Set<String> UNSUPPORTED = Set.of("best_of", "echo", "suffix", "n_probs", "id_slot", "n_keep",
            "n_discard", "grammar", "json_schema", "cache_prompt", "max_completion_tokens");
    static final int DEFAULT_MAX_TOKENS = 16;

    private final JemmaServer server;

    Completions(JemmaServer server) {
        this.server = server;
    }

    void handle(Exchange ex, ObjectNode body, String requestId) throws IOException {
        ServedModel m = server.model();
        Params p = Params.of(body);
        p.allowOnly(KNOWN, UNSUPPORTED);
        m.checkModel(p.string("model", null));
        p.string("user", null);
        ObjectNode bias = p.object("logit_bias");
        if (bias != null && !bias.isEmpty()) throw ApiException.unsupported("logit_bias", "remove it or send an empty object");
        if (p.has("prompt") && !p.get("prompt").isTextual()) {
            throw ApiException.invalid("prompt", "'prompt' must be a string (arrays of prompts or token ids are not supported)");
        }
        String prompt = p.string("prompt", null);
        if (prompt == null) throw ApiException.invalid("prompt", "'prompt' is required");
        if (prompt.isEmpty()) throw ApiException.invalid("prompt", "'prompt' must not be empty");
        if (prompt.length() > server.config.maxPromptChars()) throw ChatMessages.promptTooLong(server.config.maxPromptChars());
        boolean stream = p.bool("stream", false);
        Params so = p.sub("stream_options");
        boolean includeUsage = false;
        if (so != null) {
            if (!stream) throw ApiException.invalid("stream_options", "'stream_options' is only allowed with stream: true");
            so.allowOnly(Set.of("include_usage"), Set.of());
            includeUsage = so.bool("include_usage", false);
        }
        int n = (int) p.integer("n", 1, 1, server.config.maxN());
        int top = (int) p.integer("logprobs", -1, 0, GenerationRequest.MAX_TOP_LOGPROBS);
        Grammar grammar = ResponseFormat.openAi(p);
        IntList ids = new IntList();
        ids.add(m.tok.bosId());
        ids.addAll(m.tok.encode(prompt));
        int[] promptIds = ids.toArray();
        if (promptIds.length >= m.ctx) throw ApiException.contextExceeded(promptIds.length, m.ctx).with("param", "prompt");
        long seed = SamplingRequest.seed(p);
        SamplingParams sp = SamplingRequest.parse(p, promptIds.length, m.ctx, DEFAULT_MAX_TOKENS, seed);
        long deadline = server.deadline(p);
        List<GenerationRequest> reqs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            reqs.add(server.hook(new GenerationRequest(promptIds, sp.withSeed(seed + i),
                    grammar == null ? null : grammar.constraint(m.tok), top, deadline)));
        }
        String id = "cmpl-" + requestId;
        long created = System.currentTimeMillis() / 1000;
        try (Generation gen = server.start(reqs)) {
            if (stream) stream(ex, m, gen, n, top >= 0, includeUsage, id, created, requestId);
            else whole(ex, m, gen, n, top >= 0, id, created);
        }
    }

    private static ObjectNode base(String id, long created, ServedModel m) {
        ObjectNode o = Json.object();
        o.put("id", id);
        o.put("object", "text_completion");
        o.put("created", created);
        o.put("model", m.id);
        o.put("system_fingerprint", JemmaServer.FINGERPRINT);
        return o;
    }

    /** Legacy logprobs: {tokens, token_logprobs, top_logprobs[{token: logprob}], text_offset}. */
    private static ObjectNode legacyLogprobs(ServedModel m, List<TokenEvent> events) {
        ObjectNode lp = Json.object();
        ArrayNode tokens = lp.putArray("tokens"), values = lp.putArray("token_logprobs"), top = lp.putArray("top_logprobs"), offsets = lp.putArray("text_offset");
        int offset = 0;
        for (TokenEvent e : events) {
            if (e.tokenId() < 0) continue;
            String t = Logprobs.text(m.tok, e.tokenId());
            tokens.add(t);
            values.add(e.logprob());
            ObjectNode alt = top.addObject();
            for (int i = 0; i < e.topIds().length; i++) alt.put(Logprobs.text(m.tok, e.topIds()[i]), e.topLogprobs()[i]);
            offsets.add(offset);
            offset += t.length();
        }
        return lp;
    }

    private void whole(Exchange ex, ServedModel m, Generation gen, int n, boolean logprobs, String id, long created) throws IOException {
        GenerationResult[] results = new GenerationResult[n];
        List<List<TokenEvent>> tokens = new ArrayList<>();
        for (int i = 0; i < n; i++) tokens.add(new ArrayList<>());
        server.collect(gen, results, logprobs ? tokens : null);
        ObjectNode o = base(id, created, m);
        ArrayNode choices = o.putArray("choices");
        int completion = 0;
        for (int i = 0; i < n; i++) {
            ObjectNode c = choices.addObject();
            c.put("text", results[i].text());
            c.put("index", i);
            if (logprobs) c.set("logprobs", legacyLogprobs(m, tokens.get(i)));
            else c.putNull("logprobs");
            c.put("finish_reason", results[i].finishReason().apiName());
            completion += results[i].generatedTokens();
        }
        o.set("usage", ChatCompletions.usage(results[0].promptTokens(), completion, results[0]));
        o.set("timings", JemmaServer.timings(results));
        server.sendJson(ex, 200, o);
    }

    private void stream(Exchange ex, ServedModel m, Generation gen, int n, boolean logprobs, boolean includeUsage,
                        String id, long created, String requestId) throws IOException {
        StreamWriter w = server.writer(ex, true);
        w.start();
        GenerationResult[] results = new GenerationResult[n];
        try {
            while (gen.open() > 0) {
                Generation.Item it = server.next(gen, w);
                if (it == null) continue;
                ObjectNode o = base(id, created, m);
                ObjectNode c = o.putArray("choices").addObject();
                c.put("index", it.index());
                if (it.token() != null) {
                    TokenEvent e = it.token();
                    if (e.text().isEmpty() && !(logprobs && e.tokenId() >= 0)) continue;
                    c.put("text", e.text());
                    if (logprobs && e.tokenId() >= 0) c.set("logprobs", legacyLogprobs(m, List.of(e)));
                    else c.putNull("logprobs");
                    c.putNull("finish_reason");
                } else if (it.end().error() != null) {
                    server.streamError(w, it.end().error(), requestId);
                    return;
                } else {
                    results[it.index()] = it.end().result();
                    c.put("text", "");
                    c.putNull("logprobs");
                    c.put("finish_reason", it.end().result().finishReason().apiName());
                }
                w.event(o.toString());
            }
            if (includeUsage) {
                ObjectNode o = base(id, created, m);
                o.putArray("choices");
                int completion = 0;
                for (GenerationResult r : results) completion += r.generatedTokens();
                o.set("usage", ChatCompletions.usage(results[0].promptTokens(), completion, results[0]));
                w.event(o.toString());
            }
            w.done();
        } catch (IOException e) {
            gen.cancel();
            throw e;
        }
    }
}
