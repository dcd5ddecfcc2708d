package dev.jemma.constrain;

import dev.jemma.generate.ConstraintException;

import java.util.ArrayList;
import java.util.List;

/**
 * JSON Schema {@code pattern} (ECMA-262 syntax) to grammar nodes over JSON string content. The subset has no
 * backtracking constructs (no back-references, lookaround or word boundaries) and is run as a set of parses,
 * so matching is linear in the input whatever the pattern ({@code (a+)+$} included); repetition bounds are
 * counters. A pattern is a search, as in JSON Schema: without {@code ^} or {@code $} any text may come before
 * or after. Where engines disagree ({@code .}, {@code \s}) the narrower meaning is used, so every match is valid
 * for both ECMA-262 and java.util.regex validators.
 */
final class RegexCompiler {
    private static final CodePointSet LINE_BREAKS = CodePointSet.ofChars("\n\r\u0085\u2028\u2029");
    private static final CodePointSet DOT = LINE_BREAKS.complement();
    private static final CodePointSet DIGIT = CodePointSet.of('0', '9');
    private static final CodePointSet WORD = CodePointSet.fromRanges(new int[] {'0', '9', 'A', 'Z', 'a', 'z', '_', '_'});
    /** \s where ECMA and Java agree */
    private static final CodePointSet SPACE_NARROW = CodePointSet.ofChars(" \t\n\u000B\f\r");
    /** every character either engine counts as \s: \S must avoid all of them */
    private static final CodePointSet SPACE_WIDE = SPACE_NARROW.union(CodePointSet.ofChars(
            "\u00A0\u1680\u2028\u2029\u202F\u205F\u3000\uFEFF\u0085")).union(CodePointSet.of(0x2000, 0x200A));

    private final GrammarBuilder b;
    private final String p;
    private int i;
    private int depth;

    private RegexCompiler(GrammarBuilder b, String pattern) {
        this.b = b;
        this.p = pattern;
    }

    /** Nodes for the string content matching pattern (quotes not included). Throws ConstraintException on unsupported syntax. */
    static int compile(GrammarBuilder b, String pattern) {
        RegexCompiler c = new RegexCompiler(b, pattern);
        boolean start = pattern.startsWith("^");
        if (start) c.i = 1;
        int body = c.alternation();
        boolean end = false;
        if (c.i < pattern.length() && pattern.charAt(c.i) == '$' && c.i == pattern.length() - 1) {
            end = true;
            c.i++;
        }
        if (c.i < pattern.length()) c.fail("unexpected '" + pattern.charAt(c.i) + "'");
        List<Integer> seq = new ArrayList<>();
        if (!start) seq.add(b.run(CodePointSet.ALL, true, 0, Grammar.INF));
        seq.add(body);
        if (!end) seq.add(b.run(CodePointSet.ALL, true, 0, Grammar.INF));
        return b.seq(seq);
    }

    private void fail(String what) {
        throw new ConstraintException("pattern \"" + p + "\" at offset " + i + ": " + what);
    }

    private boolean more() {
        return i < p.length();
    }

    private int alternation() {
        if (++depth > b.limits().maxNesting()) fail("nested deeper than " + b.limits().maxNesting());
        List<Integer> alts = new ArrayList<>();
        alts.add(concat());
        while (more() && p.charAt(i) == '|') {
            i++;
            alts.add(concat());
        }
        depth--;
        return b.alt(alts);
    }

    private int concat() {
        List<Integer> items = new ArrayList<>();
        while (more()) {
            char c = p.charAt(i);
            if (c == '|' || c == ')') break;
            if (c == '$' && i == p.length() - 1) break;
            items.add(quantified());
        }
        return items.isEmpty() ? b.empty() : b.seq(items);
    }

    private int quantified() {
        int atom = atom();
        if (!more()) return atom;
        char c = p.charAt(i);
        int mn, mx;
        if (c == '*') { mn = 0; mx = Grammar.INF; i++; }
        else if (c == '+') { mn = 1; mx = Grammar.INF; i++; }
        else if (c == '?') { mn = 0; mx = 1; i++; }
        else if (c == '{' && isBraceQuantifier()) {
            i++;
            mn = integer();
            mx = mn;
            if (p.charAt(i) == ',') {
                i++;
                mx = p.charAt(i) == '}' ? Grammar.INF : integer();
            }
            i++; // '}'
            if (mx < mn) fail("{" + mn + "," + mx + "}: the maximum is below the minimum");
        } else {
            return atom;
        }
        if (more() && p.charAt(i) == '?') i++; // lazy: same language
        if (more() && (p.charAt(i) == '*' || p.charAt(i) == '+' || p.charAt(i) == '?')) fail("nothing to repeat");
        return mn == 0 && mx == 1 ? b.optional(atom) : b.rep(atom, mn, mx);
    }

    private boolean isBraceQuantifier() {
        int j = i + 1;
        int d = 0;
        while (j < p.length() && Character.isDigit(p.charAt(j))) { j++; d++; }
        if (d == 0 || j >= p.length()) return false;
        if (p.charAt(j) == '}') return true;
        if (p.charAt(j) != ',') return false;
        j++;
        while (j < p.length() && Character.isDigit(p.charAt(j))) j++;
        return j < p.length() && p.charAt(j) == '}';
    }

    private int integer() {
        long v = 0;
        while (more() && Character.isDigit(p.charAt(i))) {
            v = Math.min(v * 10 + (p.charAt(i++) - '0'), Grammar.INF - 1L);
        }
        return (int) v;
    }

    private int atom() {
        int c = p.codePointAt(i);
        switch (c) {
            case '(' -> {
                i++;
                if (p.startsWith("?:", i)) i += 2;
                else if (p.startsWith("?", i)) fail("lookaround and named groups are not supported");
                int inner = alternation();
                if (!more() || p.charAt(i) != ')') fail("missing ')'");
                i++;
                return inner;
            }
            case '[' -> { return chars(charClass()); }
            case '.' -> { i++; return chars(DOT); }
            case '\\' -> {
                i++;
                CodePointSet s = escape(false);
                return chars(s);
            }
            case '^', '$' -> fail("anchors are supported only at the start and end of the pattern");
            case '*', '+', '?' -> fail("nothing to repeat");
            case ')' -> fail("unbalanced ')'");
            default -> { }
        }
        i += Character.charCount(c);
        return literal(c);
    }

    /** A literal character: plain bytes where JSON needs no escape, else the escaped forms. */
    private int literal(int c) {
        if (c >= 0x20 && c != '"' && c != '\\') return b.lit(new String(Character.toChars(c)));
        return chars(CodePointSet.of(c, c));
    }

    private int chars(CodePointSet s) {
        return b.run(s, true, 1, 1);
    }

    private CodePointSet charClass() {
        i++; // '['
        boolean negate = more() && p.charAt(i) == '^';
        if (negate) i++;
        CodePointSet set = CodePointSet.EMPTY;
        List<Integer> ranges = new ArrayList<>();
        while (true) {
            if (!more()) fail("missing ']'");
            if (p.charAt(i) == ']') { i++; break; }
            int lo;
            if (p.charAt(i) == '\\') {
                i++;
                CodePointSet e = escape(true);
                if (e.size() != 1) {
                    set = set.union(e);
                    continue;
                }
                lo = e.lo(0);
            } else {
                lo = p.codePointAt(i);
                i += Character.charCount(lo);
            }
            int hi = lo;
            if (more() && p.charAt(i) == '-' && i + 1 < p.length() && p.charAt(i + 1) != ']') {
                i++;
                if (p.charAt(i) == '\\') {
                    i++;
                    CodePointSet e = escape(true);
                    if (e.size() != 1) fail("a class escape cannot end a range");
                    hi = e.lo(0);
                } else {
                    hi = p.codePointAt(i);
                    i += Character.charCount(hi);
                }
                if (hi < lo) fail("range out of order");
            }
            ranges.add(lo);
            ranges.add(hi);
        }
        set = set.union(CodePointSet.fromRanges(ranges.stream().mapToInt(Integer::intValue).toArray()));
        return negate ? set.complement() : set;
    }

    /** After a backslash: the set it stands for. */
    private CodePointSet escape(boolean inClass) {
        if (!more()) fail("pattern ends with a backslash");
        char c = p.charAt(i++);
        switch (c) {
            case 'd': return DIGIT;
            case 'D': return DIGIT.complement();
            case 'w': return WORD;
            case 'W': return WORD.complement();
            case 's': return SPACE_NARROW;
            case 'S': return SPACE_WIDE.complement();
            case 'n': return single('\n');
            case 'r': return single('\r');
            case 't': return single('\t');
            case 'f': return single('\f');
            case 'v': return single(0x0B);
            case '0': return single(0);
            case 'x': return single(hex(2));
            case 'u': return single(hex(4));
            case 'b': if (inClass) return single(8); fail("word boundaries are not supported"); return null;
            case 'B': fail("word boundaries are not supported"); return null;
            case 'c', 'p', 'P', 'k': fail("\\" + c + " is not supported"); return null;
            default:
                if (Character.isDigit(c)) fail("back-references are not supported");
                if (Character.isLetterOrDigit(c)) fail("unknown escape \\" + c);
                return single(c);
        }
    }

    private int hex(int n) {
        if (i + n > p.length()) fail("short hex escape");
        int v = 0;
        for (int k = 0; k < n; k++) {
            int d = Character.digit(p.charAt(i++), 16);
            if (d < 0) fail("bad hex escape");
            v = v * 16 + d;
        }
        return v;
    }

    private static CodePointSet single(int c) {
        return CodePointSet.of(c, c);
    }
}
