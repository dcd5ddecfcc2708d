package dev.jemma.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** One callable function: OpenAI's {@code {"type":"function","function":{name, description, parameters}}}. */
public record ToolDefinition(String name, String description, JsonNode parameters) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    /** More tools than this cannot be told apart within the parser's ambiguity cap. */
    public static final int MAX_TOOLS = 128;

    public ToolDefinition {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ToolException("", "tool name '" + name + "' must be 1–64 of A-Z a-z 0-9 _ . -");
        }
        if (description == null) description = "";
        if (parameters == null) parameters = JsonNodeFactory.instance.objectNode().put("type", "object").set("properties", JsonNodeFactory.instance.objectNode());
    }

    /** Parses OpenAI's {@code tools} array; errors name the tool by pointer ({@code /tools/3/function/name}). */
    public static List<ToolDefinition> fromOpenAi(JsonNode tools) {
        if (tools == null || !tools.isArray()) throw new ToolException("/tools", "must be an array");
        if (tools.size() > MAX_TOOLS) throw new ToolException("/tools", tools.size() + " tools; at most " + MAX_TOOLS + " are supported");
        List<ToolDefinition> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tools.size(); i++) {
            String at = "/tools/" + i;
            JsonNode t = tools.get(i);
            if (!t.isObject() || !"function".equals(t.path("type").asText())) throw new ToolException(at, "must be {\"type\":\"function\",\"function\":{...}}");
            JsonNode f = t.get("function");
            if (f == null || !f.isObject()) throw new ToolException(at + "/function", "must be an object");
            JsonNode name = f.get("name");
            if (name == null || !name.isTextual()) throw new ToolException(at + "/function/name", "must be a string");
            JsonNode params = f.get("parameters");
            if (params != null && !(params.isObject() && (!params.has("type") || "object".equals(params.path("type").asText())))) {
                throw new ToolException(at + "/function/parameters", "must be a JSON Schema of type object");
            }
            ToolDefinition d;
            try {
                d = new ToolDefinition(name.asText(), f.path("description").asText(""), params);
            } catch (ToolException e) {
                throw new ToolException(at + "/function/name", e.getMessage());
            }
            if (!names.add(d.name())) throw new ToolException(at + "/function/name", "duplicate tool name '" + d.name() + "'");
            out.add(d);
        }
        return out;
    }
}
