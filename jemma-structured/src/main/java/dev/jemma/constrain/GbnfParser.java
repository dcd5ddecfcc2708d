package dev.jemma.constrain;

import dev.jemma.generate.ConstraintException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * llama.cpp's GBNF grammar format: {@code name ::= alternatives}, string literals, character classes
 * ({@code [a-z]}, {@code [^"\\]}), {@code .}, grouping, {@code | * + ?} and counted repetition {@code {m}},
 * {@code {m,}}, {@code {m,n}} (kept as counters), {@code #} comments; the start rule is {@code root}. A rule ends
 * at the end of its line unless inside parentheses or right after {@code ::=} or {@code |}; a following line
 * that starts with {@code |} continues it. Characters are Unicode code points matched as UTF-8.
 */
public final class GbnfParser {
    private final String src;
    private final GrammarBuilder b;
    private final Map<String, Integer> rules = new LinkedHashMap<>();
    private final Map<String, Integer> firstUse = new HashMap<>();
    private final Map<String, Boolean> defined = new HashMap<>();
    private int pos;
    private int nesting;

    private GbnfParser(String src, ConstraintLimits limits) {
        this.src = src;
        this.b = new GrammarBuilder(limits);
    }

    public static Grammar parse(String grammar) {
        return parse(grammar, ConstraintLimits.DEFAULT);
    }

    public static Grammar parse(String grammar, ConstraintLimits limits) {
        if (grammar.length() > limits.maxSourceChars()) {
            throw new GrammarException("the grammar is longer than " + limits.maxSourceChars() + " characters");
        }
        GbnfParser p = new GbnfParser(grammar, limits);
        try {
            return p.run();
        } catch (GrammarException e) {
            throw e;
        } catch (ConstraintException e) {
            throw new GrammarException("grammar: " + e.getMessage());
        }
    }

    private Grammar run() {
        while (true) {
            skipSpace(true);
            if (pos >= src.length()) break;
            String name = name();
            skipSpace(false);
            if (!src.startsWith("::=", pos)) throw fail("expected '::=' after rule name '" + name + "'");
            pos += 3;
            skipSpace(true);
            if (defined.containsKey(name)) throw fail("rule '" + name + "' is defined twice");
            defined.put(name, true);
            b.define(rule(name), alternates(false));
            skipSpace(false);
            if (pos < src.length() && src.charAt(pos) != '\n' && src.charAt(pos) != '\r') {
                throw fail("unexpected '" + src.charAt(pos) + "'");
            }
        }
        for (var e : rules.entrySet()) {
            if (!defined.containsKey(e.getKey())) {
                pos = firstUse.get(e.getKey());
                throw fail("rule '" + e.getKey() + "' is used but never defined");
            }
        }
        if (!rules.containsKey("root")) throw new GrammarException("grammar has no 'root' rule");
        return b.build(rules.get("root"));
    }

    private int rule(String name) {
        return rules.computeIfAbsent(name, k -> {
            firstUse.put(k, pos);
            return b.ref();
        });
    }

    private GrammarException fail(String msg) {
        int line = 1, col = 1;
        for (int i = 0; i < Math.min(pos, src.length()); i++) {
            if (src.charAt(i) == '\n') { line++; col = 1; } else col++;
        }
        return new GrammarException("grammar line " + line + ", column " + col + ": " + msg);
    }

    /** Skips blanks and comments; newlines only when allowed (or when the next line continues with '|'). */
    private void skipSpace(boolean newlines) {
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == ' ' || c == '\t') pos++;
            else if (c == '#') { while (pos < src.length() && src.charAt(pos) != '\n') pos++; }
            else if ((c == '\n' || c == '\r') && (newlines || continuesWithBar())) pos++;
            else break;
        }
    }

    private boolean continuesWithBar() {
        int j = pos;
        while (j < src.length() && Character.isWhitespace(src.charAt(j))) j++;
        return j < src.length() && src.charAt(j) == '|';
    }

    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_';
    }

    private String name() {
        int start = pos;
        while (pos < src.length() && isNameChar(src.charAt(pos))) pos++;
        if (start == pos) throw fail("expected a rule name");
        return src.substring(start, pos);
    }

    private int alternates(boolean nested) {
        List<Integer> alts = new ArrayList<>();
        alts.add(sequence(nested));
        while (pos < src.length() && src.charAt(pos) == '|') {
            pos++;
            skipSpace(true);
            alts.add(sequence(nested));
        }
        return b.alt(alts);
    }

    private int sequence(boolean nested) {
        List<Integer> items = new ArrayList<>();
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '|' || c == ')' || c == '\n' || c == '\r') break;
            int atom = primary();
            items.add(postfix(atom));
            skipSpace(nested);
        }
        return items.isEmpty() ? b.empty() : b.seq(items);
    }

    private int primary() {
        char c = src.charAt(pos);
        if (c == '"') return literal();
        if (c == '[') return b.run(charClass(), false, 1, 1);
        if (c == '.') {
            pos++;
            return b.run(CodePointSet.ALL, false, 1, 1);
        }
        if (c == '(') {
            if (++nesting > b.limits().maxNesting()) throw fail("parentheses nested deeper than " + b.limits().maxNesting());
            pos++;
            skipSpace(true);
            int inner = alternates(true);
            if (pos >= src.length() || src.charAt(pos) != ')') throw fail("missing ')'");
            pos++;
            nesting--;
            return inner;
        }
        if (isNameChar(c)) {
            int at = pos;
            String name = name();
            if (src.startsWith("::=", skipBlanks(pos))) {
                pos = at;
                throw fail("missing newline before rule '" + name + "'");
            }
            return rule(name);
        }
        throw fail("unexpected '" + c + "'");
    }

    private int skipBlanks(int j) {
        while (j < src.length() && (src.charAt(j) == ' ' || src.charAt(j) == '\t')) j++;
        return j;
    }

    private int postfix(int atom) {
        if (pos >= src.length()) return atom;
        char c = src.charAt(pos);
        if (c == '*') { pos++; return b.rep(atom, 0, Grammar.INF); }
        if (c == '+') { pos++; return b.rep(atom, 1, Grammar.INF); }
        if (c == '?') { pos++; return b.optional(atom); }
        if (c == '{') {
            pos++;
            int mn = integer(), mx = mn;
            if (pos < src.length() && src.charAt(pos) == ',') {
                pos++;
                mx = pos < src.length() && src.charAt(pos) == '}' ? Grammar.INF : integer();
            }
            if (pos >= src.length() || src.charAt(pos) != '}') throw fail("expected '}' to close a repetition");
            pos++;
            if (mx < mn) throw fail("repetition {" + mn + "," + mx + "}: the maximum is below the minimum");
            return mn == 0 && mx == 1 ? b.optional(atom) : b.rep(atom, mn, mx);
        }
        return atom;
    }

    private int integer() {
        skipSpace(false);
        int start = pos;
        long v = 0;
        while (pos < src.length() && Character.isDigit(src.charAt(pos)) && src.charAt(pos) < 128) {
            v = Math.min(v * 10 + (src.charAt(pos++) - '0'), Grammar.INF - 1L);
        }
        if (start == pos) throw fail("expected a number");
        skipSpace(false);
        return (int) v;
    }

    private int literal() {
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= src.length()) throw fail("unterminated string literal");
            char c = src.charAt(pos);
            if (c == '"') { pos++; break; }
            if (c == '\n') throw fail("newline inside a string literal");
            sb.appendCodePoint(c == '\\' ? escape() : src.codePointAt(pos));
            if (c != '\\') pos += Character.charCount(src.codePointAt(pos));
        }
        return b.lit(sb.toString());
    }

    private CodePointSet charClass() {
        pos++;
        boolean negate = pos < src.length() && src.charAt(pos) == '^';
        if (negate) pos++;
        List<Integer> ranges = new ArrayList<>();
        while (true) {
            if (pos >= src.length() || src.charAt(pos) == '\n') throw fail("unterminated character class");
            if (src.charAt(pos) == ']') { pos++; break; }
            int lo = classChar(), hi = lo;
            if (pos + 1 < src.length() && src.charAt(pos) == '-' && src.charAt(pos + 1) != ']') {
                pos++;
                hi = classChar();
                if (hi < lo) throw fail("character range out of order");
            }
            ranges.add(lo);
            ranges.add(hi);
        }
        CodePointSet s = CodePointSet.fromRanges(ranges.stream().mapToInt(Integer::intValue).toArray());
        return negate ? s.complement() : s;
    }

    private int classChar() {
        if (src.charAt(pos) == '\\') return escape();
        int cp = src.codePointAt(pos);
        pos += Character.charCount(cp);
        return cp;
    }

    /** At a backslash: the code point it stands for; pos moves past the escape. */
    private int escape() {
        pos++;
        if (pos >= src.length()) throw fail("dangling backslash");
        char c = src.charAt(pos++);
        return switch (c) {
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'x' -> hex(2);
            case 'u' -> hex(4);
            case 'U' -> hex(8);
            default -> {
                if (Character.isLetterOrDigit(c)) throw fail("unknown escape \\" + c);
                yield c;
            }
        };
    }

    private int hex(int n) {
        if (pos + n > src.length()) throw fail("short hex escape");
        int v = 0;
        for (int k = 0; k < n; k++) {
            int d = Character.digit(src.charAt(pos++), 16);
            if (d < 0) throw fail("bad hex escape");
            v = v * 16 + d;
        }
        if (v > CodePointSet.MAX) throw fail("escape beyond U+10FFFF");
        return v;
    }
}
