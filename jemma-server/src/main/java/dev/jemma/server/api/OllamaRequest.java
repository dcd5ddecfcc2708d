package dev.jemma.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.constrain.Grammar;
import dev.jemma.generate.ChatMessage;
import dev.jemma.generate.SamplingParams;
import dev.jemma.server.ServerConfig;
import dev.jemma.server.engine.Engine;
import dev.jemma.server.engine.ServedModels;
import dev.jemma.server.http.ApiException;
import dev.jemma.server.http.Json;
import dev.jemma.tools.ToolCalling;
import dev.jemma.tools.ToolChoice;
import dev.jemma.tools.ToolDefinition;
import dev.jemma.tools.ToolException;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Ollama's /api/chat and /api/generate to a plan (one choice, streamed unless stream: false). Sampling options
 * are read under "options" with the same rules as OpenAI's fields; "timeout" (seconds) is honoured as in /v1.
 */
final class OllamaRequest {
    /** Hardware hints that do not apply to Jemma: accepted and ignored (documented). */
    static final Set<String> IGNORED_OPTIONS = Set.of("num_thread", "num_gpu", "num_batch", "main_gpu", "use_mmap",
            "use_mlock", "low_vram", "numa", "f16_kv", "vocab_only");
    static final Set<String> UNSUPPORTED_OPTIONS = Set.of("num_keep", "mirostat", "mirostat_eta", "mirostat_tau",
            "tfs_z", "typical_p", "penalize_newline");
    private static final Set<String> NOT_IMPLEMENTED = Set.of("truncate", "shift");

    private OllamaRequest() {}

    static GenerationPlan chat(ObjectNode body, Engine engine, ServerConfig config) {
        Params p = Params.of(body);
        p.allowOnly(Set.of("model", "messages", "tools", "format", "options", "stream", "keep_alive", "think", "timeout"),
                NOT_IMPLEMENTED);
        ServedModels.Choice model = common(p, engine.models());
        List<ToolDefinition> tools = List.of();
        try {
            if (p.has("tools")) tools = ToolDefinition.fromOpenAi(p.get("tools"));
        } catch (ToolException e) {
            throw ApiException.invalid(ChatPrompt.pointerToParam(e.pointer()), e.getMessage());
        }
        Grammar format = ResponseFormat.ollama(p.get("format"));
        List<byte[]> images = engine.vision() == null ? null : new java.util.ArrayList<>();
        List<ToolCalling.Message> messages = ChatMessages.ollama(p.array("messages"), config.maxPromptChars(), images);
        ChatPrompt prompt = ChatPrompt.build(engine, messages, tools, tools.isEmpty() ? ToolChoice.NONE : ToolChoice.AUTO,
                format, true, images == null ? List.of() : images);
        return plan(p, engine, config, model, prompt.ids(), "messages", prompt.grammar(), prompt.tools(), prompt.images());
    }

    /** The plan, or null for Ollama's preload (an empty prompt), which is answered at once. */
    static GenerationPlan generate(ObjectNode body, Engine engine, ServerConfig config) {
        Params p = Params.of(body);
        p.allowOnly(Set.of("model", "prompt", "suffix", "images", "format", "options", "system", "template", "raw",
                "stream", "keep_alive", "context", "think", "timeout"), NOT_IMPLEMENTED);
        ServedModels.Choice model = common(p, engine.models());
        List<JsonNode> images = p.array("images");
        boolean hasImages = images != null && !images.isEmpty();
        if (hasImages && engine.vision() == null) throw ApiException.invalid("images", ChatMessages.NO_VISION);
        if (hasImages && p.bool("raw", false)) throw ApiException.invalid("images", "images need the chat template: leave 'raw' false");
        if (!p.string("suffix", "").isEmpty()) throw ApiException.unsupported("suffix", "fill-in-the-middle is not supported by Gemma 3");
        if (!p.string("template", "").isEmpty()) throw ApiException.unsupported("template", "the Gemma chat template is built in");
        List<JsonNode> context = p.array("context");
        if (context != null && !context.isEmpty()) throw ApiException.unsupported("context", "send the conversation to /api/chat instead");
        String prompt = p.string("prompt", "");
        String system = p.string("system", "");
        boolean raw = p.bool("raw", false);
        Grammar format = ResponseFormat.ollama(p.get("format"));
        if (prompt.isEmpty()) return null;
        if (prompt.length() + system.length() > config.maxPromptChars()) throw ChatMessages.promptTooLong(config.maxPromptChars());
        int[] ids;
        if (raw) {
            ids = PlainPrompt.ids(engine.tokenizer(), prompt);
        } else {
            List<byte[]> bytes = new java.util.ArrayList<>();
            if (hasImages) {
                for (int k = 0; k < images.size(); k++) {
                    String at = "images[" + k + "]";
                    if (!images.get(k).isTextual()) throw ApiException.invalid(at, "'" + at + "' must be a base64 string");
                    ImageParts.add(bytes, ImageParts.base64(images.get(k).asText(), at), at);
                }
            }
            String user = hasImages ? dev.jemma.vision.ImagePrompt.PLACE.repeat(bytes.size()) + dev.jemma.generate.ChatTemplate.trim(prompt) : prompt;
            List<ChatMessage> chat = system.isEmpty() ? List.of(ChatMessage.user(user))
                    : List.of(ChatMessage.system(system), ChatMessage.user(user));
            if (hasImages) {
                try {
                    var prepared = engine.vision().conversation(engine.chatTemplate(), chat, bytes, false);
                    return plan(p, engine, config, model, prepared.ids(), "prompt", format, null, prepared.runs());
                } catch (dev.jemma.vision.ImageInputException e) {
                    throw ApiException.invalid("images", "image: " + e.getMessage());
                }
            }
            ids = engine.chatTemplate().render(chat, true).toArray();
        }
        return plan(p, engine, config, model, ids, "prompt", format, null);
    }

    /** The model (required here), keep_alive (accepted: the model stays loaded) and think (not for Gemma 3). */
    private static ServedModels.Choice common(Params p, ServedModels models) {
        String model = p.string("model", null);
        if (model == null || model.isEmpty()) throw ApiException.invalid("model", "'model' is required");
        ServedModels.Choice choice = models.choose(model, null);
        if (choice == null) throw ApiException.notFound("model '" + model + "' not found, try pulling it first");
        if (p.has("keep_alive") && !p.get("keep_alive").isTextual() && !p.get("keep_alive").isNumber()) {
            throw ApiException.invalid("keep_alive", "'keep_alive' must be a duration string or a number");
        }
        if (p.has("think") && !(p.get("think").isBoolean() && !p.get("think").asBoolean())) {
            throw ApiException.invalid("think", "this model does not support thinking");
        }
        return choice;
    }

    private static GenerationPlan plan(Params p, Engine engine, ServerConfig config, ServedModels.Choice model, int[] ids, String promptParam,
                                       Grammar grammar, ToolCalling tools) {
        return plan(p, engine, config, model, ids, promptParam, grammar, tools, dev.jemma.model.ImageRuns.NONE);
    }

    private static GenerationPlan plan(Params p, Engine engine, ServerConfig config, ServedModels.Choice model, int[] ids, String promptParam,
                                       Grammar grammar, ToolCalling tools, dev.jemma.model.ImageRuns images) {
        Params o = p.sub("options");
        if (o == null) o = new Params(Json.object(), "options.");
        Set<String> known = new HashSet<>(SamplingOptions.OLLAMA.all());
        known.addAll(IGNORED_OPTIONS);
        o.allowOnly(known, UNSUPPORTED_OPTIONS);
        SamplingParams sp = SamplingOptions.parse(o, SamplingOptions.OLLAMA, ids.length, engine.model().contextLength(), 0,
                config.maxTokensLimit(), promptParam);
        boolean stream = p.bool("stream", true);
        return new GenerationPlan(model, ids, sp, grammar, tools, 1, -1, stream, false,
                Deadline.of(p, config.requestTimeout()), images);
    }
}
