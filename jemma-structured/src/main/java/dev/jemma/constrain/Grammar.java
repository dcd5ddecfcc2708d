package dev.jemma.constrain;

import dev.jemma.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * A compiled, immutable byte-level grammar: the common target of JSON Schema, GBNF and JSON mode. Nodes are
 * terminals (literal bytes, counted runs of characters, bounded numbers) and structure (sequence, choice,
 * counted repetition, reference). Repetition bounds stay counters at run time: nothing is unrolled, so
 * {@code maxItems: 1000000} costs the same as {@code maxItems: 2}. Build with {@link GrammarBuilder}.
 *
 * <p>Thread-safe; per-tokenizer mask caches live here so every generation with this grammar shares them.
 */
public final class Grammar {
    static final byte LIT = 0, RUN = 1, NUM = 2, SEQ = 3, ALT = 4, REP = 5, REF = 6, NONE = 7;
    /** max value meaning "unbounded" */
    public static final int INF = Integer.MAX_VALUE;

    final byte[] kind;
    final int[][] kids;      // SEQ, ALT: children; REP, REF: [child/target]
    final byte[][] lit;
    final CodePointSet[] set;
    final boolean[] escaped; // RUN: characters written as JSON string content
    final int[] min, max;    // RUN, REP
    final NumberRange[] num;
    final boolean[] nullable, productive;
    final int root;
    final ConstraintLimits limits;
    private final Map<TokenTrie, MaskCache> caches = new WeakHashMap<>();

    Grammar(byte[] kind, int[][] kids, byte[][] lit, CodePointSet[] set, boolean[] escaped, int[] min, int[] max,
            NumberRange[] num, boolean[] nullable, boolean[] productive, int root, ConstraintLimits limits) {
        this.kind = kind;
        this.kids = kids;
        this.lit = lit;
        this.set = set;
        this.escaped = escaped;
        this.min = min;
        this.max = max;
        this.num = num;
        this.nullable = nullable;
        this.productive = productive;
        this.root = root;
        this.limits = limits;
    }

    /** Node count (the compiled size). */
    public int size() {
        return kind.length;
    }

    /** A byte-level matcher at the start of the grammar. */
    public GrammarMatcher matcher() {
        return new GrammarMatcher(this);
    }

    /** True when the whole text (as UTF-8) is a sentence of this grammar. */
    public boolean matches(String text) {
        GrammarMatcher m = matcher();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) if (!m.advance(b & 0xFF)) return false;
        return m.canFinish();
    }

    /** A constraint for one generation over this tokenizer's vocabulary (the token trie is built once per tokenizer). */
    public GrammarConstraint constraint(Tokenizer tokenizer) {
        TokenTrie trie = TokenTrie.of(tokenizer);
        return new GrammarConstraint(matcher(), trie, cacheFor(trie));
    }

    MaskCache cacheFor(TokenTrie trie) {
        synchronized (caches) {
            return caches.computeIfAbsent(trie, t -> new MaskCache(256));
        }
    }
}
