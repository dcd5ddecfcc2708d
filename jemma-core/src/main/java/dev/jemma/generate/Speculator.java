package dev.jemma.generate;

/**
 * Speculative decoding of one generation stream, for whoever runs its passes (a {@link Session}, a slot of the
 * batch scheduler): the next pass's rows (the last token, then the drafts after it), then the walk through that
 * pass's logit rows. Row i's logits pick the token after its input; a draft is kept while it equals what was
 * picked, and the first token picked differently (or a finish) ends the walk. Reused across the stream's
 * generations (a draft model's cache stays warm). Not thread-safe.
 */
public final class Speculator implements AutoCloseable {
    private final Drafter drafter;
    private final int most;
    private final int[] ids;
    private DraftBudget budget;
    private int drafts, kept;
    private long drafted, accepted;

    /** @param most the most drafts one pass may verify (at most the sequence's chunk − 1) */
    public Speculator(Drafter drafter, int most) {
        if (most < 1) throw new IllegalArgumentException("a pass must have room for a draft");
        this.drafter = drafter;
        this.most = most;
        this.ids = new int[most + 1];
        this.budget = new DraftBudget(most);
    }

    /** The largest pass this speculator asks for, in rows. */
    public int maxRows() {
        return most + 1;
    }

    /** A new generation after {@code prompt}. */
    public void start(int[] prompt) {
        drafter.start(prompt);
        budget = new DraftBudget(most);
    }

    /**
     * The rows of the next pass: {@code last} (the token just picked, now joining the context) and up to
     * {@code room} drafts after it. Returns the row count; the ids are {@link #ids()}[0..rows).
     */
    public int propose(int last, int room) {
        ids[0] = last;
        drafter.accept(last);
        int k = room > 0 ? budget.take(drafter.draft(ids, 1, Math.min(Math.min(room, most), budget.limit()))) : 0;
        drafts = k;
        return k + 1;
    }

    public int[] ids() {
        return ids;
    }

    /**
     * Walks the pass's logit rows (row i at {@code logits[off + i·vocab]}, copied into {@code row} for the step)
     * through {@code step}; {@code position} is where the pass's first row went. Returns the finish reason, or null
     * when generation goes on from {@link TokenStep#lastToken()}; {@link #kept()} rows stay in the cache.
     */
    public FinishReason verify(TokenStep step, float[] logits, int off, int vocab, float[] row, int position, int contextLength) {
        FinishReason finish = null;
        int keep = 0, good = 0;
        for (int i = 0; i <= drafts; i++) {
            System.arraycopy(logits, off + i * vocab, row, 0, vocab);
            finish = step.next(row, position + 1 + i, contextLength);
            keep = i + 1;
            if (finish != null || i == drafts || step.lastToken() != ids[i + 1]) break;
            good++;
            drafter.accept(ids[i + 1]);
        }
        kept = keep;
        if (drafts > 0) {
            step.countDrafts(drafts, good);
            budget.verified(drafts, good);
            drafted += drafts;
            accepted += good;
        }
        return finish;
    }

    /** Rows of the last pass that stay in the cache (its first row and the drafts kept). */
    public int kept() {
        return kept;
    }

    /** Drafted tokens over this speculator's life, and how many of them were kept. */
    public long draftedTokens() {
        return drafted;
    }

    public long acceptedTokens() {
        return accepted;
    }

    @Override
    public void close() {
        drafter.close();
    }
}
