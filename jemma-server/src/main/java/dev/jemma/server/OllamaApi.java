package dev.jemma.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.IntList;
import dev.jemma.generate.SamplingParams;
import dev.jemma.constrain.Grammar;
import dev.jemma.tools.ToolCall;
import dev.jemma.tools.ToolCalling;
import dev.jemma.tools.ToolChoice;
import dev.jemma.tools.ToolDefinition;
import dev.jemma.tools.ToolException;
import dev.jemma.tools.ToolResponse;
import dev.jemma.generate.ChatMessage;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * The Ollama native subset (serving conventions A4) that LangChain4j, Spring AI, Open WebUI and Continue use:
 * version, tags, show, ps, chat and generate. Streams are NDJSON (done:false … done:true), durations are in
 * nanoseconds, tool call arguments are JSON objects (OpenAI's are strings), errors are {"error": "..."}.
 */
final class OllamaApi {
    /** Ollama's version we answer with: clients gate features on it; our behaviour matches this API level. */
    static final String VERSION = "0.12.0";
    static final Set<String> OPTIONS = Set.of("temperature", "num_ctx", "num_predict", "stop", "seed", "top_k", "top_p",
            "min_p", "repeat_penalty", "presence_penalty", "frequency_penalty", "repeat_last_n");
    /** Hardware hints that do not apply to Jemma: accepted and ignored (documented). */
    static final Set<String> IGNORED_OPTIONS = Set.of("num_thread", "num_gpu", "num_batch", "main_gpu", "use_mmap",
            "use_mlock", "low_vram", "numa", "f16_kv", "vocab_only");
    static final Set<String> UNSUPPORTED_OPTIONS = Set.of("num_keep", "mirostat", "mirostat_eta", "mirostat_tau",
            "tfs_z", "typical_p", "penalize_newline");

    private final JemmaServer server;

    OllamaApi(JemmaServer server) {
        this.server = server;
    }

    void version(Exchange ex) throws IOException {
        ObjectNode o = Json.object();
        o.put("version", VERSION);
        server.sendJson(ex, 200, o);
    }

    private ObjectNode details(ServedModel m) {
        ObjectNode d = Json.object();
        d.put("parent_model", "");
        d.put("format", "gguf");
        d.put("family", "gemma3");
        d.putArray("families").add("gemma3");
        d.put("parameter_size", m.parameterSize());
        d.put("quantization_level", m.quantization());
        return d;
    }

    private ObjectNode entry(ServedModel m) {
        ObjectNode e = Json.object();
        e.put("name", m.id);
        e.put("model", m.id);
        e.put("modified_at", Instant.ofEpochSecond(m.created).toString());
        e.put("size", m.model.file.fileSize());
        e.put("digest", Integer.toHexString(m.fileName.hashCode()) + Long.toHexString(m.model.file.fileSize()));
        e.set("details", details(m));
        return e;
    }

    void tags(Exchange ex) throws IOException {
        ServedModel m = server.model();
        ObjectNode o = Json.object();
        o.putArray("models").add(entry(m));
        server.sendJson(ex, 200, o);
    }

    void ps(Exchange ex) throws IOException {
        ServedModel m = server.model();
        ObjectNode e = entry(m);
        e.put("expires_at", "9999-12-31T23:59:59Z");
        e.put("size_vram", 0);
        e.put("context_length", m.ctx);
        ObjectNode o = Json.object();
        o.putArray("models").add(e);
        server.sendJson(ex, 200, o);
    }

    void show(Exchange ex, ObjectNode body) throws IOException {
        ServedModel m = server.model();
        Params p = Params.of(body);
        p.allowOnly(Set.of("model", "name", "verbose"), Set.of());
        String name = p.string("model", p.string("name", null));
        if (name == null) throw ApiException.invalid("model", "'model' is required");
        if (!m.answersTo(name)) throw ApiException.notFound("model '" + name + "' not found");
        p.bool("verbose", false);
        ObjectNode o = Json.object();
        o.put("modelfile", "# served by Jemma\nFROM " + m.fileName + "\n");
        o.put("parameters", "stop \"<end_of_turn>\"\ntemperature 1\ntop_k 64\ntop_p 0.95");
        // Gemma 3's chat format; tools are declared in the system text and answered in a constrained JSON envelope
        o.put("template", "{{- if .System }}{{ .System }}{{ end }}{{- if .Tools }}{{ .Tools }}{{ end }}"
                + "<start_of_turn>user\n{{ .Prompt }}<end_of_turn>\n<start_of_turn>model\n");
        o.set("details", details(m));
        ObjectNode info = o.putObject("model_info");
        info.put("general.architecture", "gemma3");
        info.put("general.parameter_count", m.parameters);
        info.put("gemma3.context_length", m.model.config.contextLength());
        info.put("gemma3.embedding_length", m.model.config.hidden());
        info.put("gemma3.block_count", m.model.config.layers());
        info.put("gemma3.attention.head_count", m.model.config.heads());
        info.put("gemma3.attention.head_count_kv", m.model.config.kvHeads());
        info.put("gemma3.attention.sliding_window", m.model.config.slidingWindow());
        o.putArray("capabilities").add("completion").add("tools");
        o.put("modified_at", Instant.ofEpochSecond(m.created).toString());
        server.sendJson(ex, 200, o);
    }

    /** Ollama's options to sampling parameters. num_ctx above the server's context is clamped to it. */
    private SamplingParams sampling(Params p, int promptTokens, ServedModel m, long[] seedOut) {
        Params o = p.sub("options");
        if (o == null) o = new Params(Json.object(), "options.");
        java.util.HashSet<String> known = new java.util.HashSet<>(OPTIONS);
        known.addAll(IGNORED_OPTIONS);
        o.allowOnly(known, UNSUPPORTED_OPTIONS);
        int ctx = (int) Math.min(m.ctx, o.integer("num_ctx", m.ctx, 1, Integer.MAX_VALUE));
        if (promptTokens >= ctx) throw ApiException.contextExceeded(promptTokens, ctx);
        SamplingParams d = SamplingParams.GEMMA_DEFAULTS;
        long predict = o.integer("num_predict", -1, -2, Long.MAX_VALUE);
        if (predict == 0) throw ApiException.invalid("options.num_predict", "'options.num_predict' must be ≥ 1, or -1 (until the context is full)");
        int room = ctx - promptTokens;
        int max = predict < 0 ? room : (int) Math.min(predict, room);
        long seed = o.has("seed") ? o.integer("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE) : java.util.concurrent.ThreadLocalRandom.current().nextLong();
        seedOut[0] = seed;
        float rep = (float) o.number("repeat_penalty", d.repetitionPenalty(), 0, 10);
        if (rep == 0) rep = 1;
        return new SamplingParams((float) o.number("temperature", d.temperature(), 0, 2),
                (int) o.integer("top_k", d.topK(), 0, 1 << 20),
                Math.max(Float.MIN_NORMAL, (float) o.number("top_p", d.topP(), 0, 1)),
                (float) o.number("min_p", d.minP(), 0, 1), rep,
                (float) o.number("presence_penalty", 0, -2, 2), (float) o.number("frequency_penalty", 0, -2, 2),
                (int) o.integer("repeat_last_n", d.penaltyWindow(), 0, 1 << 20), seed, max, o.stops("stop"));
    }

    private void common(Params p, ServedModel m) {
        String model = p.string("model", null);
        if (model == null || model.isEmpty()) throw ApiException.invalid("model", "'model' is required");
        if (!m.answersTo(model)) throw ApiException.notFound("model '" + model + "' not found, try pulling it first");
        if (p.has("keep_alive") && !p.get("keep_alive").isTextual() && !p.get("keep_alive").isNumber()) {
            throw ApiException.invalid("keep_alive", "'keep_alive' must be a duration string or a number");
        }
        if (p.has("think") && !(p.get("think").isBoolean() && !p.get("think").asBoolean())) {
            throw ApiException.invalid("think", "this model does not support thinking");
        }
    }

    void chat(Exchange ex, ObjectNode body, String requestId) throws IOException {
        ServedModel m = server.model();
        Params p = Params.of(body);
        p.allowOnly(Set.of("model", "messages", "tools", "format", "options", "stream", "keep_alive", "think"), Set.of("truncate", "shift"));
        common(p, m);
        List<ToolDefinition> tools = List.of();
        try {
            if (p.has("tools")) tools = ToolDefinition.fromOpenAi(p.get("tools"));
        } catch (ToolException e) {
            throw ApiException.invalid(ChatPrompt.pointerToParam(e.pointer()), e.getMessage());
        }
        Grammar format = ResponseFormat.ollama(p.get("format"));
        List<ToolCalling.Message> messages = ChatMessages.ollama(p.array("messages"), server.config.maxPromptChars());
        ChatPrompt prompt = ChatPrompt.build(m, messages, tools, tools.isEmpty() ? ToolChoice.NONE : ToolChoice.AUTO, format, true);
        run(ex, p, m, prompt.ids(), prompt.grammar(), prompt.tools(), true, requestId);
    }

    void generate(Exchange ex, ObjectNode body, String requestId) throws IOException {
        ServedModel m = server.model();
        Params p = Params.of(body);
        p.allowOnly(Set.of("model", "prompt", "suffix", "images", "format", "options", "system", "template", "raw",
                "stream", "keep_alive", "context", "think"), Set.of("truncate", "shift"));
        common(p, m);
        List<JsonNode> images = p.array("images");
        if (images != null && !images.isEmpty()) throw ApiException.invalid("images", ChatMessages.NO_VISION);
        if (!p.string("suffix", "").isEmpty()) throw ApiException.unsupported("suffix", "fill-in-the-middle is not supported by Gemma 3");
        if (!p.string("template", "").isEmpty()) throw ApiException.unsupported("template", "the Gemma chat template is built in");
        List<JsonNode> context = p.array("context");
        if (context != null && !context.isEmpty()) throw ApiException.unsupported("context", "send the conversation to /api/chat instead");
        String prompt = p.string("prompt", "");
        String system = p.string("system", "");
        boolean raw = p.bool("raw", false);
        Grammar format = ResponseFormat.ollama(p.get("format"));
        if (prompt.isEmpty()) {
            // Ollama's way to preload a model: an empty prompt answers at once with done_reason "load"
            ObjectNode o = Json.object();
            o.put("model", m.id);
            o.put("created_at", Instant.now().toString());
            o.put("response", "");
            o.put("done", true);
            o.put("done_reason", "load");
            server.sendJson(ex, 200, o);
            return;
        }
        if (prompt.length() + system.length() > server.config.maxPromptChars()) throw ChatMessages.promptTooLong(server.config.maxPromptChars());
        int[] ids;
        if (raw) {
            IntList l = new IntList();
            l.add(m.tok.bosId());
            l.addAll(m.tok.encode(prompt));
            ids = l.toArray();
        } else {
            List<ChatMessage> chat = system.isEmpty() ? List.of(ChatMessage.user(prompt))
                    : List.of(ChatMessage.system(system), ChatMessage.user(prompt));
            ids = m.template.render(chat, true).toArray();
        }
        run(ex, p, m, ids, format, null, false, requestId);
    }

    private void run(Exchange ex, Params p, ServedModel m, int[] ids, Grammar grammar, ToolCalling tools, boolean chat,
                     String requestId) throws IOException {
        long[] seed = new long[1];
        SamplingParams sp = sampling(p, ids.length, m, seed);
        boolean stream = p.bool("stream", true);
        long deadline = System.nanoTime() + server.config.requestTimeout().toNanos();
        GenerationRequest req = server.hook(new GenerationRequest(ids, sp, grammar == null ? null : grammar.constraint(m.tok), -1, deadline));
        long t0 = System.nanoTime();
        try (Generation gen = server.start(List.of(req))) {
            if (!stream) {
                GenerationResult[] r = new GenerationResult[1];
                server.collect(gen, r, null);
                ObjectNode o = line(m, chat, r[0].text(), tools);
                finish(o, r[0], t0);
                server.sendJson(ex, 200, o);
                return;
            }
            StreamWriter w = server.writer(ex, false);
            w.start();
            StringBuilder held = new StringBuilder();
            try {
                while (gen.open() > 0) {
                    Generation.Item it = server.next(gen, w);
                    if (it == null) continue;
                    if (it.token() != null) {
                        if (tools != null) held.append(it.token().text());
                        else if (!it.token().text().isEmpty()) w.event(line(m, chat, it.token().text(), null).toString());
                        continue;
                    }
                    if (it.end().error() != null) {
                        ObjectNode err = Json.object();
                        RuntimeException e = server.failure(it.end().error());
                        err.put("error", e instanceof ApiException ? e.getMessage() : "internal error during generation (request id " + requestId + ")");
                        if (!(e instanceof ApiException)) server.failures.incrementAndGet();
                        w.event(err.toString());
                        return;
                    }
                    if (tools != null) w.event(line(m, chat, held.toString(), tools).toString());
                    ObjectNode o = line(m, chat, "", null);
                    finish(o, it.end().result(), t0);
                    w.event(o.toString());
                }
            } catch (IOException e) {
                gen.cancel();
                throw e;
            }
        }
    }

    /** One response object: message (chat) or response (generate); tool calls with arguments as objects. */
    private ObjectNode line(ServedModel m, boolean chat, String text, ToolCalling tools) {
        ObjectNode o = Json.object();
        o.put("model", m.id);
        o.put("created_at", Instant.now().toString());
        ToolResponse tr = tools == null ? null : tools.parse(text);
        if (chat) {
            ObjectNode msg = o.putObject("message");
            msg.put("role", "assistant");
            msg.put("content", tr == null ? text : tr.hasToolCalls() ? "" : tr.content());
            if (tr != null && tr.hasToolCalls()) {
                ArrayNode calls = msg.putArray("tool_calls");
                for (int i = 0; i < tr.toolCalls().size(); i++) {
                    ToolCall c = tr.toolCalls().get(i);
                    ObjectNode f = calls.addObject().putObject("function");
                    f.put("index", i);
                    f.put("name", c.name());
                    try {
                        f.set("arguments", Json.OUT.readTree(c.arguments())); // an object, as Ollama sends it
                    } catch (IOException e) {
                        f.putObject("arguments");
                    }
                }
            }
        } else {
            o.put("response", text);
        }
        o.put("done", false);
        return o;
    }

    private static void finish(ObjectNode o, GenerationResult r, long t0) {
        o.put("done", true);
        o.put("done_reason", r.finishReason().apiName());
        o.put("total_duration", System.nanoTime() - t0);
        o.put("load_duration", 0);
        o.put("prompt_eval_count", r.promptTokens());
        o.put("prompt_eval_duration", r.prefillNanos());
        o.put("eval_count", r.generatedTokens());
        o.put("eval_duration", r.decodeNanos());
    }
}
