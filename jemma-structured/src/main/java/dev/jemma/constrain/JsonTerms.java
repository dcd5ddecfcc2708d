package dev.jemma.constrain;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * The JSON building blocks every JSON grammar shares, made once per builder: bounded whitespace (a model must
 * not be able to stall in endless blanks), strings, numbers, any value, literals as a prefix trie (an enum of
 * 500 words stays one parse, not 500 parallel ones), and "any key but these".
 */
final class JsonTerms {
    /** Blanks allowed in one gap between tokens of JSON. */
    static final int MAX_WS = 16;
    /** Characters a generated number may have. */
    static final int MAX_NUMBER_CHARS = 24;

    final GrammarBuilder b;
    private int ws = -1, anyString = -1, anyValue = -1, anyObject = -1;

    JsonTerms(GrammarBuilder b) {
        this.b = b;
    }

    int ws() {
        if (ws < 0) ws = b.run(CodePointSet.ofChars(" \t\n"), false, 0, MAX_WS);
        return ws;
    }

    /** ws "," ws */
    int comma() {
        return b.seq(ws(), b.lit(","), ws());
    }

    int string(int minLength, int maxLength) {
        if (minLength == 0 && maxLength == Grammar.INF) {
            if (anyString < 0) anyString = b.seq(b.lit("\""), b.run(CodePointSet.ALL, true, 0, Grammar.INF), b.lit("\""));
            return anyString;
        }
        return b.seq(b.lit("\""), b.run(CodePointSet.ALL, true, minLength, maxLength), b.lit("\""));
    }

    int number(NumberRange r) {
        return b.number(r);
    }

    /** Any JSON value (recursive; depth is bounded by the run-time stack limit). */
    int anyValue() {
        if (anyValue >= 0) return anyValue;
        anyValue = b.ref();
        int value = anyValue;
        int member = b.seq(string(0, Grammar.INF), b.lit(":"), ws(), value);
        int object = b.seq(b.lit("{"), ws(), b.alt(b.lit("}"),
                b.seq(member, b.rep(b.seq(comma(), member), 0, Grammar.INF), ws(), b.lit("}"))));
        anyObject = object;
        int array = b.seq(b.lit("["), ws(), b.alt(b.lit("]"),
                b.seq(value, b.rep(b.seq(comma(), value), 0, Grammar.INF), ws(), b.lit("]"))));
        int scalar = b.alt(string(0, Grammar.INF), number(new NumberRange(false, null, false, null, false, MAX_NUMBER_CHARS)),
                literals(List.of("true", "false", "null")));
        b.define(anyValue, b.alt(object, array, scalar));
        return anyValue;
    }

    /** Any JSON object. */
    int anyObject() {
        anyValue();
        return anyObject;
    }

    /** One of these exact texts, factored into a trie so the parse stays single. */
    int literals(List<String> texts) {
        List<byte[]> bs = new ArrayList<>();
        for (String t : texts) bs.add(t.getBytes(StandardCharsets.UTF_8));
        bs.sort(Arrays::compareUnsigned);
        List<byte[]> uniq = new ArrayList<>();
        for (byte[] x : bs) if (uniq.isEmpty() || !Arrays.equals(uniq.get(uniq.size() - 1), x)) uniq.add(x);
        return trie(uniq, 0, uniq.size(), 0);
    }

    private int trie(List<byte[]> s, int from, int to, int at) {
        b.checkTime();
        // common prefix of s[from, to) beyond `at`
        byte[] first = s.get(from), last = s.get(to - 1);
        int p = at;
        while (p < first.length && p < last.length && first[p] == last[p]) p++;
        int prefix = b.lit(Arrays.copyOfRange(first, at, p));
        List<Integer> alts = new ArrayList<>();
        int i = from;
        if (first.length == p) {
            alts.add(b.empty());
            i++;
        }
        while (i < to) {
            int j = i;
            while (j < to && s.get(j)[p] == s.get(i)[p]) j++;
            alts.add(trie(s, i, j, p));
            i = j;
        }
        return alts.isEmpty() ? prefix : b.seq(prefix, b.alt(alts));
    }

    /** A whole JSON string (quotes included) whose value is none of these names. */
    int stringExcept(List<String> names) {
        List<String> sorted = new ArrayList<>(names);
        sorted.sort(Comparator.naturalOrder());
        return b.seq(b.lit("\""), except(sorted, 0));
    }

    /** Rest of a string (closing quote included) given that depth code points of these names were matched. */
    private int except(List<String> names, int depth) {
        b.checkTime();
        boolean isName = false;
        TreeMap<Integer, List<String>> byNext = new TreeMap<>();
        for (String n : names) {
            int[] cps = n.codePoints().toArray();
            if (cps.length == depth) isName = true;
            else byNext.computeIfAbsent(cps[depth], k -> new ArrayList<>()).add(n);
        }
        List<Integer> alts = new ArrayList<>();
        if (!isName) alts.add(b.lit("\""));
        int[] next = byNext.keySet().stream().mapToInt(Integer::intValue).toArray();
        int[] ranges = new int[next.length * 2];
        for (int i = 0; i < next.length; i++) ranges[2 * i] = ranges[2 * i + 1] = next[i];
        CodePointSet other = CodePointSet.fromRanges(ranges).complement();
        alts.add(b.seq(b.run(other, true, 1, 1), b.run(CodePointSet.ALL, true, 0, Grammar.INF), b.lit("\"")));
        for (var e : byNext.entrySet()) {
            alts.add(b.seq(b.run(CodePointSet.of(e.getKey(), e.getKey()), true, 1, 1), except(e.getValue(), depth + 1)));
        }
        return b.alt(alts);
    }
}
