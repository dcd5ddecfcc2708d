package dev.jemma.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Google's documented Gemma function-call format for unconstrained output:
 * {@code [func_name1(a=1, b="x"), func_name2()]}, optionally inside a ```tool_code (or ```python) fence.
 * Arguments are keyword arguments with Python literals (strings, numbers, True/False/None, lists, tuples,
 * dicts), turned into JSON. Only known tool names count, so ordinary prose is never mistaken for a call.
 */
public final class PythonicCalls {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final String s;
    private int i;

    private PythonicCalls(String s) {
        this.s = s;
    }

    /** The calls the whole text makes, or an empty list when it is not (only) a call list. */
    public static List<ToolCall> parse(String text, List<ToolDefinition> tools) {
        Set<String> known = new HashSet<>();
        for (ToolDefinition t : tools) known.add(t.name());
        String t = text.strip();
        if (t.startsWith("```")) {
            int nl = t.indexOf('\n');
            if (nl < 0 || !t.endsWith("```")) return List.of();
            t = t.substring(nl + 1, t.length() - 3).strip();
        }
        if (t.isEmpty()) return List.of();
        PythonicCalls p = new PythonicCalls(t);
        try {
            List<ToolCall> calls = new ArrayList<>();
            boolean list = t.charAt(0) == '[';
            if (list) p.i++;
            p.space();
            while (p.i < t.length() && !(list && t.charAt(p.i) == ']')) {
                ToolCall c = p.call(known);
                if (c == null) return List.of();
                calls.add(c);
                p.space();
                if (p.i < t.length() && t.charAt(p.i) == ',') { p.i++; p.space(); }
                else break;
            }
            if (list) {
                if (p.i >= t.length() || t.charAt(p.i) != ']') return List.of();
                p.i++;
            }
            p.space();
            return p.i == t.length() ? calls : List.of();
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return List.of();
        }
    }

    private void space() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    private String identifier() {
        int start = i;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || "_.-".indexOf(s.charAt(i)) >= 0)) i++;
        if (start == i) throw new IllegalArgumentException("identifier expected");
        return s.substring(start, i);
    }

    private ToolCall call(Set<String> known) {
        String name = identifier();
        if (!known.contains(name)) return null;
        space();
        expect('(');
        ObjectNode args = F.objectNode();
        space();
        while (s.charAt(i) != ')') {
            String key = identifier();
            space();
            expect('=');
            space();
            args.set(key, value());
            space();
            if (s.charAt(i) == ',') { i++; space(); }
            else if (s.charAt(i) != ')') throw new IllegalArgumentException("',' or ')' expected");
        }
        i++;
        return new ToolCall(ToolCallIds.next(), name, args.toString());
    }

    private void expect(char c) {
        if (s.charAt(i) != c) throw new IllegalArgumentException("'" + c + "' expected");
        i++;
    }

    private JsonNode value() {
        char c = s.charAt(i);
        if (c == '"' || c == '\'') return F.textNode(string());
        if (c == '[' || c == '(') {
            char close = c == '[' ? ']' : ')';
            i++;
            ArrayNode a = F.arrayNode();
            space();
            while (s.charAt(i) != close) {
                a.add(value());
                space();
                if (s.charAt(i) == ',') { i++; space(); }
            }
            i++;
            return a;
        }
        if (c == '{') {
            i++;
            ObjectNode o = F.objectNode();
            space();
            while (s.charAt(i) != '}') {
                JsonNode k = value();
                space();
                expect(':');
                space();
                o.set(k.asText(), value());
                space();
                if (s.charAt(i) == ',') { i++; space(); }
            }
            i++;
            return o;
        }
        if (s.startsWith("True", i)) { i += 4; return F.booleanNode(true); }
        if (s.startsWith("False", i)) { i += 5; return F.booleanNode(false); }
        if (s.startsWith("None", i)) { i += 4; return F.nullNode(); }
        int start = i;
        while (i < s.length() && "+-0123456789.eE_".indexOf(s.charAt(i)) >= 0) i++;
        if (start == i) throw new IllegalArgumentException("value expected");
        BigDecimal d = new BigDecimal(s.substring(start, i).replace("_", ""));
        return d.scale() <= 0 && d.precision() - d.scale() < 19 ? F.numberNode(d.longValueExact()) : F.numberNode(d);
    }

    private String string() {
        char q = s.charAt(i++);
        StringBuilder sb = new StringBuilder();
        while (s.charAt(i) != q) {
            char c = s.charAt(i++);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = s.charAt(i++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'u' -> { sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                default -> sb.append(e);
            }
        }
        i++;
        return sb.toString();
    }
}
