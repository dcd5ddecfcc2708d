package dev.jemma.constrain;

/**
 * Matches bytes against a {@link Grammar}: the state is the set of live stacks (usually one). Used by
 * {@link GrammarConstraint} per token and directly by tests. Not thread-safe.
 */
public final class GrammarMatcher {
    final Pda pda;
    StackSet state;
    private StackSet scratch;

    GrammarMatcher(Grammar g) {
        this.pda = new Pda(g);
        this.state = pda.newSet();
        this.scratch = pda.newSet();
        pda.expand(g.root, null, state);
    }

    private GrammarMatcher(GrammarMatcher o) {
        this.pda = o.pda;
        this.state = pda.newSet();
        this.state.copyFrom(o.state);
        this.scratch = pda.newSet();
    }

    public GrammarMatcher copy() {
        return new GrammarMatcher(this);
    }

    /** Reads one byte; false (and the state unchanged) when it is not allowed here. */
    public boolean advance(int b) {
        scratch.clear();
        for (int i = 0; i < state.size; i++) pda.step(state.items[i], b, scratch, null);
        if (scratch.size == 0) return false;
        StackSet t = state;
        state = scratch;
        scratch = t;
        return true;
    }

    /** Could the input end here? */
    public boolean canFinish() {
        for (int i = 0; i < state.size; i++) if (pda.canFinish(state.items[i])) return true;
        return false;
    }

    /** Can any byte follow? */
    public boolean canContinue() {
        for (int b = 0; b < 256; b++) if (allows(b)) return true;
        return false;
    }

    /** Would this byte be accepted (without reading it)? */
    public boolean allows(int b) {
        scratch.clear();
        for (int i = 0; i < state.size; i++) {
            pda.step(state.items[i], b, scratch, null);
            if (scratch.size > 0) return true;
        }
        return false;
    }

    /** Number of parses alive. */
    public int stacks() {
        return state.size;
    }
}
