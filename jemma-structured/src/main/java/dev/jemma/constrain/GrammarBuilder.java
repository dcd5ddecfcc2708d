package dev.jemma.constrain;

import dev.jemma.generate.ConstraintException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Creates grammar nodes under the node and time caps, then {@link #build} checks the grammar is safe to run:
 * every reference defined, no left recursion, no unbounded repetition of something that can match nothing
 * (either would make expansion loop), and the start symbol can match something. Single use.
 */
public final class GrammarBuilder {
    private final ConstraintLimits limits;
    private final long deadline;
    private byte[] kind = new byte[64];
    private final List<int[]> kids = new ArrayList<>();
    private final List<byte[]> lit = new ArrayList<>();
    private final List<CodePointSet> set = new ArrayList<>();
    private final List<NumberRange> num = new ArrayList<>();
    private boolean[] escaped = new boolean[64];
    private int[] min = new int[64], max = new int[64];
    private int n;
    private int empty = -1, none = -1;

    public GrammarBuilder(ConstraintLimits limits) {
        this.limits = limits;
        this.deadline = System.nanoTime() + limits.maxCompileNanos();
    }

    public ConstraintLimits limits() {
        return limits;
    }

    /** Throws when the compile-time budget is spent; compilers call it in their own loops too. */
    public void checkTime() {
        if (System.nanoTime() > deadline) {
            throw new ConstraintException("compiling took longer than the limit of " + limits.maxCompileNanos() / 1_000_000 + " ms");
        }
    }

    private int add(byte k, int[] children, byte[] l, CodePointSet s, boolean esc, int mn, int mx, NumberRange nr) {
        if (n >= limits.maxNodes()) throw new ConstraintException("the grammar needs more than " + limits.maxNodes() + " states");
        if ((n & 255) == 0) checkTime();
        if (n == kind.length) {
            int c = n * 2;
            kind = Arrays.copyOf(kind, c);
            escaped = Arrays.copyOf(escaped, c);
            min = Arrays.copyOf(min, c);
            max = Arrays.copyOf(max, c);
        }
        kind[n] = k;
        kids.add(children);
        lit.add(l);
        set.add(s);
        num.add(nr);
        escaped[n] = esc;
        min[n] = mn;
        max[n] = mx;
        return n++;
    }

    /** Matches nothing but the empty string. */
    public int empty() {
        if (empty < 0) empty = add(Grammar.SEQ, new int[0], null, null, false, 0, 0, null);
        return empty;
    }

    /** Matches nothing at all. */
    public int none() {
        if (none < 0) none = add(Grammar.NONE, null, null, null, false, 0, 0, null);
        return none;
    }

    public int lit(byte[] bytes) {
        return bytes.length == 0 ? empty() : add(Grammar.LIT, null, bytes.clone(), null, false, 0, 0, null);
    }

    public int lit(String text) {
        return lit(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * min..max characters from the set (max {@link Grammar#INF} = unbounded). With {@code jsonEscaped} the
     * characters are written as JSON string content (quote, backslash and controls only as escapes) and the set
     * and the counts apply to the decoded characters.
     */
    public int run(CodePointSet s, boolean jsonEscaped, int mn, int mx) {
        if (mn < 0 || mx < mn) throw new ConstraintException("repetition bounds {" + mn + "," + mx + "} are invalid");
        if (mx == 0) return empty();
        if (s.isEmpty()) return mn == 0 ? empty() : none();
        return add(Grammar.RUN, null, null, s, jsonEscaped, mn, mx, null);
    }

    public int number(NumberRange r) {
        return add(Grammar.NUM, null, null, null, false, 0, 0, r);
    }

    public int seq(int... children) {
        if (children.length == 1) return children[0];
        return add(Grammar.SEQ, children.clone(), null, null, false, 0, 0, null);
    }

    public int seq(List<Integer> children) {
        return seq(children.stream().mapToInt(Integer::intValue).toArray());
    }

    public int alt(int... children) {
        if (children.length == 1) return children[0];
        if (children.length == 0) return none();
        return add(Grammar.ALT, children.clone(), null, null, false, 0, 0, null);
    }

    public int alt(List<Integer> children) {
        return alt(children.stream().mapToInt(Integer::intValue).toArray());
    }

    public int optional(int child) {
        return alt(child, empty());
    }

    /** min..max repetitions of child, kept as a counter. A single-character run folds into one counted run. */
    public int rep(int child, int mn, int mx) {
        if (mn < 0 || mx < mn) throw new ConstraintException("repetition bounds {" + mn + "," + mx + "} are invalid");
        if (mx == 0) return empty();
        if (mn == 1 && mx == 1) return child;
        if (kind[child] == Grammar.RUN && min[child] == 1 && max[child] == 1) {
            return run(set.get(child), escaped[child], mn, mx);
        }
        return add(Grammar.REP, new int[] {child}, null, null, false, mn, mx, null);
    }

    /** A reference to be bound later with {@link #define} (rules, recursive {@code $ref}). */
    public int ref() {
        return add(Grammar.REF, new int[] {-1}, null, null, false, 0, 0, null);
    }

    public void define(int ref, int target) {
        kids.get(ref)[0] = target;
    }

    public boolean isDefined(int ref) {
        return kids.get(ref)[0] >= 0;
    }

    /** Finishes the grammar with this start node; checks it is safe and non-empty. */
    public Grammar build(int root) {
        int[][] k = kids.toArray(new int[0][]);
        byte[] kd = Arrays.copyOf(kind, n);
        for (int i = 0; i < n; i++) {
            if (kd[i] == Grammar.REF && k[i][0] < 0) throw new ConstraintException("a reference was never defined");
        }
        boolean[] nullable = new boolean[n], productive = new boolean[n];
        for (boolean changed = true; changed; ) {
            changed = false;
            checkTime();
            for (int i = 0; i < n; i++) {
                boolean nu = nullable[i], pr = productive[i];
                switch (kd[i]) {
                    case Grammar.LIT, Grammar.NUM -> pr = true;
                    case Grammar.RUN -> { pr = true; nu = min[i] == 0; }
                    case Grammar.SEQ -> {
                        boolean a = true, p = true;
                        for (int c : k[i]) { a &= nullable[c]; p &= productive[c]; }
                        nu = a; pr = p;
                    }
                    case Grammar.ALT -> {
                        boolean a = false, p = false;
                        for (int c : k[i]) { a |= nullable[c]; p |= productive[c]; }
                        nu = a; pr = p;
                    }
                    case Grammar.REP -> { nu = min[i] == 0 || nullable[k[i][0]]; pr = min[i] == 0 || productive[k[i][0]]; }
                    case Grammar.REF -> { nu = nullable[k[i][0]]; pr = productive[k[i][0]]; }
                    default -> { }
                }
                if (nu != nullable[i] || pr != productive[i]) {
                    nullable[i] = nu;
                    productive[i] = pr;
                    changed = true;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            if (kd[i] == Grammar.REP && nullable[k[i][0]] && max[i] > 1) {
                throw new ConstraintException("a repetition of something that can match the empty string (write x* as x+ or drop the inner ?/*)");
            }
            if (kd[i] == Grammar.NUM && !num.get(i).live("")) productive[i] = false;
        }
        checkLeftRecursion(kd, k, nullable);
        if (!productive[root]) throw new ConstraintException("nothing can satisfy it (an empty enum, contradictory bounds or endless recursion)");
        return new Grammar(kd, k, lit.toArray(new byte[0][]), set.toArray(new CodePointSet[0]), Arrays.copyOf(escaped, n),
                Arrays.copyOf(min, n), Arrays.copyOf(max, n), num.toArray(new NumberRange[0]), nullable, productive, root, limits);
    }

    /** A cycle of "may start with" edges would make expansion recurse forever before reading a byte. */
    private void checkLeftRecursion(byte[] kd, int[][] k, boolean[] nullable) {
        byte[] color = new byte[n];
        int[] stack = new int[n * 2 + 2];
        for (int s = 0; s < n; s++) {
            if (color[s] != 0) continue;
            int sp = 0;
            stack[sp++] = s;
            stack[sp++] = 0;
            color[s] = 1;
            while (sp > 0) {
                int node = stack[sp - 2], edge = stack[sp - 1];
                int next = leftEdge(kd, k, nullable, node, edge);
                if (next == -2) {
                    color[node] = 2;
                    sp -= 2;
                    continue;
                }
                stack[sp - 1] = edge + 1;
                if (next < 0) continue;
                if (color[next] == 1) throw new ConstraintException("left recursion: a rule can reach itself without reading any text");
                if (color[next] == 0) {
                    color[next] = 1;
                    stack[sp++] = next;
                    stack[sp++] = 0;
                }
            }
        }
    }

    /** The e-th "may start with" successor of node; -1 for an edge that does not apply, -2 past the last. */
    private static int leftEdge(byte[] kd, int[][] k, boolean[] nullable, int node, int e) {
        switch (kd[node]) {
            case Grammar.SEQ -> {
                if (e >= k[node].length) return -2;
                for (int i = 0; i < e; i++) if (!nullable[k[node][i]]) return -2;
                return k[node][e];
            }
            case Grammar.ALT -> { return e < k[node].length ? k[node][e] : -2; }
            case Grammar.REP, Grammar.REF -> { return e == 0 ? k[node][0] : -2; }
            default -> { return -2; }
        }
    }
}
