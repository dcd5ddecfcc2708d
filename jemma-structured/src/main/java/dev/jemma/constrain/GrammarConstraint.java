package dev.jemma.constrain;

import dev.jemma.generate.ConstraintException;

import dev.jemma.generate.TokenConstraint;

/**
 * A {@link TokenConstraint} from a {@link Grammar} over one tokenizer. Per step: the state's key (stacks with
 * counters clamped to what one token can change) finds a cached mask, or a trie walk computes it once. Applying
 * a mask touches only 64-bit words that hold a banned token; nothing proportional to the vocabulary is allocated
 * on a cache hit. One per generation; not thread-safe (the cache it shares is).
 */
public final class GrammarConstraint implements TokenConstraint {
    private final GrammarMatcher matcher;
    private final TokenTrie trie;
    private final MaskCache cache;
    private final MaskBuilder builder;
    private final int clamp;
    private final StringBuilder key = new StringBuilder();
    private int stateVersion, completeVersion = -1;
    private boolean complete;
    private long maskNanos, maskMisses, maskCalls;

    GrammarConstraint(GrammarMatcher matcher, TokenTrie trie, MaskCache cache) {
        this.matcher = matcher;
        this.trie = trie;
        this.cache = cache;
        this.builder = new MaskBuilder(matcher.pda, trie);
        this.clamp = trie.maxTokenBytes + 1;
    }

    @Override
    public void mask(float[] logits) {
        long t0 = System.nanoTime();
        maskCalls++;
        String k = key();
        long[] bits = cache.get(k);
        if (bits == null) {
            bits = builder.build(matcher.state);
            cache.put(k, bits);
            maskMisses++;
        }
        int n = Math.min(logits.length, trie.vocab);
        for (int w = 0; w < bits.length; w++) {
            long banned = ~bits[w];
            if (banned == 0) continue;
            int base = w << 6;
            for (; banned != 0; banned &= banned - 1) {
                int id = base + Long.numberOfTrailingZeros(banned);
                if (id >= n) break;
                logits[id] = Float.NEGATIVE_INFINITY;
            }
        }
        for (int id = n; id < logits.length; id++) logits[id] = Float.NEGATIVE_INFINITY;
        maskNanos += System.nanoTime() - t0;
    }

    @Override
    public void accept(int tokenId) {
        byte[] b = trie.bytes(tokenId);
        if (b == null) throw new ConstraintException("token " + tokenId + " is a control token; the grammar expects text");
        GrammarMatcher probe = matcher.copy();
        for (byte x : b) {
            if (!probe.advance(x & 0xFF)) throw new ConstraintException("token " + tokenId + " is not allowed by the grammar here");
        }
        matcher.state.copyFrom(probe.state);
        stateVersion++;
    }

    @Override
    public boolean canStop() {
        return matcher.canFinish();
    }

    @Override
    public boolean isComplete() {
        if (completeVersion != stateVersion) {
            complete = matcher.canFinish() && !matcher.canContinue();
            completeVersion = stateVersion;
        }
        return complete;
    }

    /** Time spent in {@link #mask}, and how many masks had to be computed rather than found in the cache. */
    public long maskNanos() {
        return maskNanos;
    }

    public long maskMisses() {
        return maskMisses;
    }

    public long maskCalls() {
        return maskCalls;
    }

    /** Identifies the state up to what the next token can observe: counters farther than one token from a bound are clamped. */
    private String key() {
        Grammar g = matcher.pda.g;
        key.setLength(0);
        StackSet s = matcher.state;
        for (int i = 0; i < s.size; i++) {
            for (Frame f = s.items[i]; f != null && f != Frame.DONE; f = f.next) {
                key.append(f.node).append(',');
                byte kind = g.kind[f.node];
                if (kind == Grammar.RUN || kind == Grammar.REP) {
                    int mn = g.min[f.node], mx = g.max[f.node];
                    key.append(Math.min(Math.max(mn - f.a, 0), clamp)).append(',');
                    key.append(mx == Grammar.INF ? -1 : Math.min(Math.max(mx - f.a, 0), clamp)).append(',').append(f.b);
                } else if (kind == Grammar.NUM) {
                    key.append(f.data);
                } else {
                    key.append(f.a);
                }
                key.append(';');
            }
            key.append('|');
        }
        return key.toString();
    }
}
