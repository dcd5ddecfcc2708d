package dev.jemma.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.generate.ChatMessage;
import dev.jemma.constrain.CodePointSet;
import dev.jemma.generate.ConstraintException;
import dev.jemma.constrain.ConstraintLimits;
import dev.jemma.constrain.Grammar;
import dev.jemma.constrain.GrammarBuilder;
import dev.jemma.constrain.JsonSchemaCompiler;
import dev.jemma.constrain.SchemaException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Tool calling for Gemma 3, which has no tool tokens (serving conventions A5): the model answers inside a
 * grammar-constrained JSON envelope, {@code {"tool_calls":[{"name":…,"arguments":…}]}} or
 * {@code {"response":"…"}}, so the output always parses and the arguments always validate against the tool's
 * schema. {@code tool_choice} picks the grammar: required allows only calls, a named tool only that tool, none no
 * envelope at all. Every tool schema is compiled separately, so an error names the tool by JSON Pointer.
 */
public final class ToolCalling {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Parallel calls one answer may hold. */
    public static final int MAX_CALLS = 8;

    private final List<ToolDefinition> tools;
    private final ToolChoice choice;
    private final Grammar grammar;

    private ToolCalling(List<ToolDefinition> tools, ToolChoice choice, Grammar grammar) {
        this.tools = tools;
        this.choice = choice;
        this.grammar = grammar;
    }

    public static ToolCalling of(List<ToolDefinition> tools, ToolChoice choice) {
        return of(tools, choice, ConstraintLimits.DEFAULT);
    }

    public static ToolCalling of(List<ToolDefinition> tools, ToolChoice choice, ConstraintLimits limits) {
        return of(tools, choice, limits, true);
    }

    /** As above; {@code parallel} false (OpenAI's parallel_tool_calls) allows exactly one call per answer. */
    public static ToolCalling of(List<ToolDefinition> tools, ToolChoice choice, ConstraintLimits limits, boolean parallel) {
        if (tools.size() > ToolDefinition.MAX_TOOLS) throw new ToolException("/tools", tools.size() + " tools; at most " + ToolDefinition.MAX_TOOLS + " are supported");
        Set<String> names = new HashSet<>();
        for (ToolDefinition t : tools) if (!names.add(t.name())) throw new ToolException("/tools", "duplicate tool name '" + t.name() + "'");
        if (choice.mode() == ToolChoice.Mode.NONE) return new ToolCalling(tools, choice, null);
        if (tools.isEmpty()) throw new ToolException("/tool_choice", "tool_choice " + choice.mode().name().toLowerCase() + " needs at least one tool");
        if (choice.mode() == ToolChoice.Mode.NAMED && !names.contains(choice.name())) {
            throw new ToolException("/tool_choice/function/name", "no tool is named '" + choice.name() + "'");
        }
        GrammarBuilder b = new GrammarBuilder(limits);
        List<Integer> calls = new ArrayList<>();
        int ws = b.run(CodePointSet.ofChars(" \t\n"), false, 0, 4);
        for (int i = 0; i < tools.size(); i++) {
            ToolDefinition t = tools.get(i);
            if (choice.mode() == ToolChoice.Mode.NAMED && !t.name().equals(choice.name())) continue;
            String at = "/tools/" + i + "/function/parameters";
            int args;
            try {
                args = new JsonSchemaCompiler(b, t.parameters(), at).compileRoot();
            } catch (SchemaException e) {
                throw new ToolException(e.pointer(), "tool '" + t.name() + "': " + e.getMessage(), e);
            } catch (ConstraintException e) {
                throw new ToolException(at, "tool '" + t.name() + "': " + e.getMessage(), e);
            }
            calls.add(b.seq(b.lit("{\"name\":" + quote(t.name()) + ",\"arguments\":"), ws, args, ws, b.lit("}")));
        }
        int call = b.alt(calls);
        int more = choice.mode() == ToolChoice.Mode.NAMED || !parallel ? b.empty()
                : b.rep(b.seq(ws, b.lit(","), ws, call), 0, MAX_CALLS - 1);
        int envelope = b.seq(b.lit("{\"tool_calls\":["), ws, call, more, ws, b.lit("]}"));
        if (choice.mode() == ToolChoice.Mode.AUTO) {
            int response = b.seq(b.lit("{\"response\":\""), b.run(CodePointSet.ALL, true, 0, Grammar.INF), b.lit("\"}"));
            envelope = b.alt(envelope, response);
        }
        try {
            return new ToolCalling(tools, choice, b.build(envelope));
        } catch (ConstraintException e) {
            throw new ToolException("/tools", e.getMessage(), e);
        }
    }

    static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public List<ToolDefinition> tools() {
        return tools;
    }

    public ToolChoice choice() {
        return choice;
    }

    /** The grammar of the envelope, or null for tool_choice none (generate freely). */
    public Grammar grammar() {
        return grammar;
    }

    /** Instructions and tool list for the system text (Gemma folds it into the first user turn); deterministic. */
    public String systemPrompt() {
        if (choice.mode() == ToolChoice.Mode.NONE || tools.isEmpty()) return "";
        StringBuilder sb = new StringBuilder("You can call these functions (parameters are JSON Schema):\n");
        for (ToolDefinition t : tools) {
            ObjectNode o = JSON.createObjectNode();
            o.put("name", t.name());
            if (!t.description().isEmpty()) o.put("description", t.description());
            o.set("parameters", t.parameters());
            sb.append(o).append('\n');
        }
        sb.append("Respond with JSON only. To call functions: {\"tool_calls\":[{\"name\":\"<function name>\",\"arguments\":{...}}]}");
        switch (choice.mode()) {
            case AUTO -> sb.append("\nTo answer directly instead: {\"response\":\"<your answer>\"}");
            case REQUIRED -> sb.append("\nYou must call at least one function.");
            case NAMED -> sb.append("\nCall the function ").append(choice.name()).append('.');
            default -> { }
        }
        return sb.toString();
    }

    /** The model's answer: the calls (with fresh unique ids) or the text, from the envelope or, failing that, as free text. */
    public ToolResponse parse(String text) {
        JsonNode n = null;
        try {
            n = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            // not an envelope: free text (tool_choice none, or output cut off)
        }
        if (n != null && n.isObject() && n.has("tool_calls") && n.get("tool_calls").isArray()) {
            List<ToolCall> calls = new ArrayList<>();
            Set<String> ids = new HashSet<>();
            for (JsonNode c : n.get("tool_calls")) {
                String id;
                do id = ToolCallIds.next(); while (!ids.add(id));
                calls.add(new ToolCall(id, c.path("name").asText(), c.path("arguments").toString()));
            }
            return new ToolResponse(null, calls);
        }
        if (n != null && n.isObject() && n.size() == 1 && n.path("response").isTextual()) {
            return new ToolResponse(n.get("response").asText(), List.of());
        }
        List<ToolCall> pythonic = PythonicCalls.parse(text, tools);
        if (!pythonic.isEmpty()) return new ToolResponse(null, pythonic);
        return new ToolResponse(text, List.of());
    }

    /** A conversation turn in OpenAI's shape: role system/user/assistant/tool. */
    public record Message(String role, String content, List<ToolCall> toolCalls, String toolCallId) {
        public static Message of(String role, String content) {
            return new Message(role, content, List.of(), null);
        }
    }

    /**
     * Messages for the Gemma chat template: the tool instructions appended to the system text, assistant tool
     * calls as the envelope the model generated, tool results as {@code <tool_response>} blocks in a user turn
     * (Gemma has no tool role); consecutive turns of one role are joined so roles alternate.
     */
    public List<ChatMessage> render(List<Message> messages) {
        List<ChatMessage> out = new ArrayList<>();
        String system = systemPrompt();
        int i = 0;
        if (!messages.isEmpty() && messages.get(0).role().equals("system")) {
            String s = messages.get(0).content();
            system = system.isEmpty() ? s : s + "\n\n" + system;
            i = 1;
        }
        if (!system.isEmpty()) out.add(ChatMessage.system(system));
        for (; i < messages.size(); i++) {
            Message m = messages.get(i);
            ChatMessage cm = switch (m.role()) {
                case "user" -> ChatMessage.user(m.content());
                case "assistant", "model" -> ChatMessage.model(m.toolCalls().isEmpty() ? m.content() : envelope(m.toolCalls()));
                case "tool" -> ChatMessage.user("<tool_response>\n" + toolResult(m) + "\n</tool_response>");
                default -> throw new ToolException("/messages/" + i + "/role", "unexpected role '" + m.role() + "'");
            };
            ChatMessage last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last.role() == cm.role()) {
                out.set(out.size() - 1, new ChatMessage(cm.role(), last.content() + "\n" + cm.content()));
            } else {
                out.add(cm);
            }
        }
        return out;
    }

    private String toolResult(Message m) {
        ObjectNode o = JSON.createObjectNode();
        if (m.toolCallId() != null) o.put("tool_call_id", m.toolCallId());
        o.put("content", m.content());
        return o.toString();
    }

    static String envelope(List<ToolCall> calls) {
        StringBuilder sb = new StringBuilder("{\"tool_calls\":[");
        for (int i = 0; i < calls.size(); i++) {
            ToolCall c = calls.get(i);
            if (i > 0) sb.append(',');
            sb.append("{\"name\":").append(quote(c.name())).append(",\"arguments\":").append(c.arguments()).append('}');
        }
        return sb.append("]}").toString();
    }
}
