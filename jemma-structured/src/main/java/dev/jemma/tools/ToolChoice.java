package dev.jemma.tools;

import com.fasterxml.jackson.databind.JsonNode;

/** OpenAI's {@code tool_choice}: none, auto, required, or one named function. */
public record ToolChoice(Mode mode, String name) {
    public enum Mode { NONE, AUTO, REQUIRED, NAMED }

    public static final ToolChoice NONE = new ToolChoice(Mode.NONE, null);
    public static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, null);
    public static final ToolChoice REQUIRED = new ToolChoice(Mode.REQUIRED, null);

    public static ToolChoice named(String name) {
        return new ToolChoice(Mode.NAMED, name);
    }

    /** "none" | "auto" | "required" | {"type":"function","function":{"name":...}}; null means auto. */
    public static ToolChoice fromOpenAi(JsonNode v) {
        if (v == null || v.isNull()) return AUTO;
        if (v.isTextual()) {
            return switch (v.asText()) {
                case "none" -> NONE;
                case "auto" -> AUTO;
                case "required" -> REQUIRED;
                default -> throw new ToolException("/tool_choice", "must be none, auto, required or a named function");
            };
        }
        JsonNode name = v.path("function").get("name");
        if (!"function".equals(v.path("type").asText()) || name == null || !name.isTextual()) {
            throw new ToolException("/tool_choice", "must be none, auto, required or {\"type\":\"function\",\"function\":{\"name\":...}}");
        }
        return named(name.asText());
    }
}
