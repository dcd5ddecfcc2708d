package dev.jemma.server.api;

import dev.jemma.server.http.ApiException;
import dev.jemma.server.http.Json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.tools.ToolCall;
import dev.jemma.tools.ToolCalling;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Conversation messages from OpenAI's and Ollama's shapes to {@link ToolCalling.Message}s, with every rule
 * checked here so a mistake is a 400 naming the message: roles system/developer (first only), user, assistant,
 * tool; content a string or text parts (an image is refused: these models have no vision encoder); no empty
 * content; a tool result must answer a call made earlier. Consecutive messages of one role are joined into one
 * turn (Gemma's template needs alternating roles); a conversation must end with a user (or tool) message.
 */
final class ChatMessages {
    static final String NO_VISION = "model has no vision encoder: this Gemma 3 model is text-only, so image inputs are not supported";

    private ChatMessages() {}

    static List<ToolCalling.Message> openAi(List<JsonNode> messages, int maxChars) {
        return openAi(messages, maxChars, null);
    }

    /**
     * As above; with {@code images} (the server has a vision tower) image parts are taken: their bytes are added to
     * it, in order, and an image place ({@link dev.jemma.vision.ImagePrompt#PLACE}) marks each in its message.
     */
    static List<ToolCalling.Message> openAi(List<JsonNode> messages, int maxChars, List<byte[]> images) {
        if (messages == null) throw ApiException.invalid("messages", "'messages' is required");
        if (messages.isEmpty()) throw ApiException.invalid("messages", "'messages' must not be empty");
        List<ToolCalling.Message> out = new ArrayList<>();
        Set<String> callIds = new HashSet<>();
        long chars = 0;
        for (int i = 0; i < messages.size(); i++) {
            String at = "messages[" + i + "]";
            if (!messages.get(i).isObject()) throw ApiException.invalid(at, "'" + at + "' must be an object");
            Params m = new Params((ObjectNode) messages.get(i), at + ".");
            m.allowOnly(Set.of("role", "content", "name", "tool_calls", "tool_call_id", "refusal"), Set.of("audio", "function_call"));
            String role = m.string("role", null);
            if (role == null) throw ApiException.invalid(at + ".role", "'" + at + ".role' is required");
            role = switch (role) {
                case "system", "developer" -> {
                    if (i != 0) throw ApiException.invalid(at + ".role", "a " + role + " message may only come first");
                    yield "system";
                }
                case "user", "assistant", "tool" -> role;
                default -> throw ApiException.invalid(at + ".role", "'" + at + ".role' must be system, developer, user, assistant or tool, got '" + role + "'");
            };
            List<ToolCall> calls = role.equals("assistant") ? toolCalls(m, at, callIds) : List.of();
            if (!role.equals("assistant") && m.has("tool_calls")) throw ApiException.invalid(at + ".tool_calls", "only assistant messages carry tool_calls");
            if (images != null && !role.equals("user") && m.get("content") != null && m.get("content").isArray() && hasImage(m.get("content"))) {
                throw ApiException.invalid(at + ".content", "only user messages may carry images");
            }
            String content = content(m.get("content"), at + ".content", !calls.isEmpty(), role.equals("user") ? images : null);
            chars += content.length();
            if (chars > maxChars) throw promptTooLong(maxChars);
            String callId = null;
            if (role.equals("tool")) {
                callId = m.string("tool_call_id", null);
                if (callId == null) throw ApiException.invalid(at + ".tool_call_id", "a tool message needs 'tool_call_id'");
                if (!callIds.contains(callId)) {
                    throw ApiException.invalid(at + ".tool_call_id", "'" + callId + "' does not match any tool call of an earlier assistant message");
                }
            } else if (m.has("tool_call_id")) {
                throw ApiException.invalid(at + ".tool_call_id", "only tool messages carry tool_call_id");
            }
            m.string("name", null);
            out.add(new ToolCalling.Message(role, content, calls, callId));
        }
        checkOrder(out);
        return out;
    }

    static ApiException promptTooLong(int maxChars) {
        return new ApiException(400, "invalid_request_error", "messages", "prompt_too_long",
                "the prompt is longer than " + maxChars + " characters, the server's cap");
    }

    /** Gemma's template ends with the user; a trailing assistant message (prefill) is not supported. */
    static void checkOrder(List<ToolCalling.Message> out) {
        String last = out.get(out.size() - 1).role();
        if (last.equals("system")) {
            throw ApiException.invalid("messages", "the conversation has only a system message; add a user message");
        }
        if (last.equals("assistant")) {
            throw ApiException.invalid("messages[" + (out.size() - 1) + "].role",
                    "the last message must be from the user (or a tool result); continuing an assistant message (prefill) is not supported");
        }
    }

    /** A string, or an array of text parts joined by newlines; null only where tool calls stand in for it. */
    static String content(JsonNode c, String at, boolean mayBeEmpty) {
        return content(c, at, mayBeEmpty, null);
    }

    /**
     * As above; image parts become image places (their bytes go to {@code images}; null refuses them). With images,
     * text parts are trimmed one by one and joined to the places without separators, as Gemma 3's chat template
     * renders content parts.
     */
    static String content(JsonNode c, String at, boolean mayBeEmpty, List<byte[]> images) {
        String text;
        if (c == null || c.isNull()) {
            text = "";
        } else if (c.isTextual()) {
            text = Params.checkText(at, c.asText());
        } else if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < c.size(); j++) {
                String pat = at + "[" + j + "]";
                JsonNode part = c.get(j);
                String type = part.path("type").asText("");
                boolean withImages = images != null && hasImage(c);
                switch (type) {
                    case "text", "input_text" -> {
                        JsonNode t = part.get("text");
                        if (t == null || !t.isTextual()) throw ApiException.invalid(pat + ".text", "'" + pat + ".text' must be a string");
                        String partText = Params.checkText(pat + ".text", t.asText());
                        if (withImages) {
                            sb.append(dev.jemma.generate.ChatTemplate.trim(partText));
                        } else {
                            if (!sb.isEmpty()) sb.append('\n');
                            sb.append(partText);
                        }
                    }
                    case "image_url", "input_image", "image" -> {
                        if (images == null) throw ApiException.invalid(pat, NO_VISION);
                        ImageParts.add(images, ImageParts.openAi(part, pat), pat);
                        sb.append(dev.jemma.vision.ImagePrompt.PLACE);
                    }
                    case "input_audio", "audio", "file", "input_file" -> throw ApiException.unsupported(pat, "only text parts are supported");
                    default -> throw ApiException.invalid(pat + ".type", "'" + pat + ".type' must be text, got '" + type + "'");
                }
            }
            text = sb.toString();
        } else {
            throw ApiException.invalid(at, "'" + at + "' must be a string or an array of content parts");
        }
        if (text.isBlank() && !mayBeEmpty) throw ApiException.invalid(at, "'" + at + "' must not be empty");
        return text;
    }

    private static boolean hasImage(JsonNode parts) {
        for (JsonNode p : parts) {
            String t = p.path("type").asText("");
            if (t.equals("image_url") || t.equals("input_image") || t.equals("image")) return true;
        }
        return false;
    }

    /** OpenAI assistant tool calls: arguments is a JSON string holding an object. */
    private static List<ToolCall> toolCalls(Params m, String at, Set<String> ids) {
        List<JsonNode> calls = m.array("tool_calls");
        if (calls == null) return List.of();
        List<ToolCall> out = new ArrayList<>();
        for (int j = 0; j < calls.size(); j++) {
            String cat = at + ".tool_calls[" + j + "]";
            JsonNode c = calls.get(j);
            JsonNode f = c.path("function");
            String id = c.path("id").asText("");
            if (id.isEmpty()) throw ApiException.invalid(cat + ".id", "'" + cat + ".id' is required");
            if (!f.path("name").isTextual()) throw ApiException.invalid(cat + ".function.name", "'" + cat + ".function.name' must be a string");
            JsonNode args = f.get("arguments");
            if (args == null || !args.isTextual()) throw ApiException.invalid(cat + ".function.arguments", "'" + cat + ".function.arguments' must be a JSON string");
            JsonNode parsed;
            try {
                parsed = Json.MAPPER.readTree(args.asText());
            } catch (Exception e) {
                throw ApiException.invalid(cat + ".function.arguments", "'" + cat + ".function.arguments' is not valid JSON");
            }
            if (parsed == null || !parsed.isObject()) throw ApiException.invalid(cat + ".function.arguments", "'" + cat + ".function.arguments' must encode a JSON object");
            ids.add(id);
            out.add(new ToolCall(id, f.get("name").asText(), parsed.toString()));
        }
        return out;
    }

    /** Ollama messages: role, content, images (refused), tool_calls with arguments as an object, tool_name. */
    static List<ToolCalling.Message> ollama(List<JsonNode> messages, int maxChars) {
        return ollama(messages, maxChars, null);
    }

    /** As above; with {@code images}, a user message's base64 images are taken (they come before its text). */
    static List<ToolCalling.Message> ollama(List<JsonNode> messages, int maxChars, List<byte[]> images) {
        if (messages == null || messages.isEmpty()) throw ApiException.invalid("messages", "'messages' must not be empty");
        List<ToolCalling.Message> out = new ArrayList<>();
        long chars = 0;
        int n = 0;
        for (int i = 0; i < messages.size(); i++) {
            String at = "messages[" + i + "]";
            if (!messages.get(i).isObject()) throw ApiException.invalid(at, "'" + at + "' must be an object");
            Params m = new Params((ObjectNode) messages.get(i), at + ".");
            m.allowOnly(Set.of("role", "content", "images", "tool_calls", "tool_name", "thinking"), Set.of());
            List<JsonNode> imgs = m.array("images");
            String places = "";
            if (imgs != null && !imgs.isEmpty()) {
                if (images == null) throw ApiException.invalid(at + ".images", NO_VISION);
                if (!"user".equals(m.string("role", ""))) throw ApiException.invalid(at + ".images", "only user messages carry images");
                for (int k = 0; k < imgs.size(); k++) {
                    String iat = at + ".images[" + k + "]";
                    if (!imgs.get(k).isTextual()) throw ApiException.invalid(iat, "'" + iat + "' must be a base64 string");
                    ImageParts.add(images, ImageParts.base64(imgs.get(k).asText(), iat), iat);
                }
                places = dev.jemma.vision.ImagePrompt.PLACE.repeat(imgs.size());
            }
            String role = m.string("role", "");
            if (role.equals("system") && i != 0) throw ApiException.invalid(at + ".role", "a system message may only come first");
            if (!Set.of("system", "user", "assistant", "tool").contains(role)) {
                throw ApiException.invalid(at + ".role", "'" + at + ".role' must be system, user, assistant or tool");
            }
            List<ToolCall> calls = new ArrayList<>();
            List<JsonNode> tc = role.equals("assistant") ? m.array("tool_calls") : null;
            if (tc != null) {
                for (JsonNode c : tc) {
                    JsonNode f = c.path("function");
                    if (!f.path("name").isTextual() || !f.path("arguments").isObject()) {
                        throw ApiException.invalid(at + ".tool_calls", "each tool call needs function.name and function.arguments (an object)");
                    }
                    calls.add(new ToolCall("call_" + (n++), f.get("name").asText(), f.get("arguments").toString()));
                }
            }
            String content = Params.checkText(at + ".content", m.string("content", ""));
            if (content.isBlank() && calls.isEmpty() && places.isEmpty()) throw ApiException.invalid(at + ".content", "'" + at + ".content' must not be empty");
            if (!places.isEmpty()) content = places + dev.jemma.generate.ChatTemplate.trim(content);
            chars += content.length();
            if (chars > maxChars) throw promptTooLong(maxChars);
            out.add(new ToolCalling.Message(role, content, calls, null));
        }
        checkOrder(out);
        return out;
    }
}
