package dev.jemma.generate.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.generate.IntList;
import dev.jemma.tokenizer.Tokenizer;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * FunctionGemma's control-token format (serving conventions A5), used when the tokenizer has those tokens:
 * declarations {@code <start_function_declaration>declaration:NAME{description:<escape>…<escape>,parameters:{…}}
 * <end_function_declaration>} in a developer turn, and calls
 * {@code <start_function_call>call:NAME{key:<escape>text<escape>,n:3}<end_function_call>}. Control tokens are
 * handled by id both ways, so text can never forge one.
 */
public final class FunctionGemmaFormat {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** Stand-ins for the control tokens while parsing (private-use code points). */
    private static final char START = '\uE000', END = '\uE001', ESC = '\uE002';

    private final Tokenizer tok;
    private final int startCall, endCall, escape, startDecl, endDecl;

    private FunctionGemmaFormat(Tokenizer tok) {
        this.tok = tok;
        this.startCall = tok.idOf("<start_function_call>");
        this.endCall = tok.idOf("<end_function_call>");
        this.escape = tok.idOf("<escape>");
        this.startDecl = tok.idOf("<start_function_declaration>");
        this.endDecl = tok.idOf("<end_function_declaration>");
    }

    /** The format for this tokenizer, or null when it lacks FunctionGemma's control tokens. */
    public static FunctionGemmaFormat forTokenizer(Tokenizer tok) {
        FunctionGemmaFormat f = new FunctionGemmaFormat(tok);
        boolean ok = f.startCall >= 0 && f.endCall >= 0 && f.escape >= 0 && f.startDecl >= 0 && f.endDecl >= 0
                && tok.isControl(f.startCall) && tok.isControl(f.escape);
        return ok ? f : null;
    }

    /** Ids of the developer-turn body: the trigger sentence then one declaration per tool (no turn markers). */
    public int[] declarations(List<ToolDefinition> tools) {
        IntList out = new IntList();
        out.addAll(tok.encode("You are a model that can do function calling with the following functions"));
        for (ToolDefinition t : tools) {
            out.add(startDecl);
            out.addAll(tok.encode("declaration:" + t.name() + "{description:"));
            escaped(out, t.description());
            out.addAll(tok.encode(",parameters:"));
            value(out, t.parameters(), true);
            out.addAll(tok.encode("}"));
            out.add(endDecl);
        }
        return out.toArray();
    }

    private void escaped(IntList out, String text) {
        out.add(escape);
        out.addAll(tok.encode(text));
        out.add(escape);
    }

    /** A JSON value in FunctionGemma's notation; schema type names are upper-cased as Google's examples show. */
    private void value(IntList out, JsonNode v, boolean schema) {
        if (v.isTextual()) {
            escaped(out, v.asText());
        } else if (v.isObject()) {
            out.addAll(tok.encode("{"));
            boolean first = true;
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!first) out.addAll(tok.encode(","));
                first = false;
                out.addAll(tok.encode(e.getKey() + ":"));
                JsonNode x = e.getValue();
                if (schema && e.getKey().equals("type") && x.isTextual()) x = F.textNode(x.asText().toUpperCase(java.util.Locale.ROOT));
                value(out, x, schema);
            }
            out.addAll(tok.encode("}"));
        } else if (v.isArray()) {
            out.addAll(tok.encode("["));
            for (int i = 0; i < v.size(); i++) {
                if (i > 0) out.addAll(tok.encode(","));
                value(out, v.get(i), schema);
            }
            out.addAll(tok.encode("]"));
        } else {
            out.addAll(tok.encode(v.toString()));
        }
    }

    /** The calls in generated tokens (text outside call blocks is ignored). */
    public List<ToolCall> parse(int[] tokens) {
        StringBuilder sb = new StringBuilder();
        IntList run = new IntList();
        for (int id : tokens) {
            char mark = id == startCall ? START : id == endCall ? END : id == escape ? ESC : 0;
            if (mark == 0 && !tok.isControl(id)) {
                run.add(id);
                continue;
            }
            sb.append(tok.decode(run.toArray()));
            run.clear();
            if (mark != 0) sb.append(mark);
        }
        sb.append(tok.decode(run.toArray()));
        return parseMarked(sb.toString());
    }

    static List<ToolCall> parseMarked(String s) {
        List<ToolCall> calls = new ArrayList<>();
        int from = 0;
        while (true) {
            int a = s.indexOf(START, from);
            if (a < 0) break;
            int b = s.indexOf(END, a);
            if (b < 0) break;
            String body = s.substring(a + 1, b).strip();
            from = b + 1;
            if (!body.startsWith("call:")) continue;
            int brace = body.indexOf('{');
            if (brace < 0) continue;
            String name = body.substring(5, brace).strip();
            int[] pos = {brace};
            try {
                JsonNode args = new Reader(body).value(pos);
                if (args.isObject()) calls.add(new ToolCall(ToolCallIds.next(), name, args.toString()));
            } catch (RuntimeException e) {
                // malformed call: skipped
            }
        }
        return calls;
    }

    /** Reads FunctionGemma values: {k:v,...}, [v,...], ESC text ESC, numbers, true/false/null. */
    private record Reader(String s) {
        JsonNode value(int[] p) {
            char c = s.charAt(p[0]);
            if (c == ESC) {
                int e = s.indexOf(ESC, p[0] + 1);
                String text = s.substring(p[0] + 1, e);
                p[0] = e + 1;
                return F.textNode(text);
            }
            if (c == '{') {
                ObjectNode o = F.objectNode();
                p[0]++;
                while (s.charAt(p[0]) != '}') {
                    int colon = s.indexOf(':', p[0]);
                    String key = s.substring(p[0], colon).strip();
                    p[0] = colon + 1;
                    o.set(key, value(p));
                    if (s.charAt(p[0]) == ',') p[0]++;
                }
                p[0]++;
                return o;
            }
            if (c == '[') {
                ArrayNode a = F.arrayNode();
                p[0]++;
                while (s.charAt(p[0]) != ']') {
                    a.add(value(p));
                    if (s.charAt(p[0]) == ',') p[0]++;
                }
                p[0]++;
                return a;
            }
            int start = p[0];
            while (p[0] < s.length() && ",}]".indexOf(s.charAt(p[0])) < 0) p[0]++;
            String w = s.substring(start, p[0]).strip();
            return switch (w) {
                case "true" -> F.booleanNode(true);
                case "false" -> F.booleanNode(false);
                case "null" -> F.nullNode();
                default -> F.numberNode(new BigDecimal(w));
            };
        }
    }
}
