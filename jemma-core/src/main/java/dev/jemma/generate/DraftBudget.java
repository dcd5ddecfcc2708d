package dev.jemma.generate;

/**
 * How many drafted tokens the next verification pass takes. A pass of r rows costs far less than r decode steps but
 * more than one (each row is computed as a lone decode step would be, the weights read once), so a rejected draft
 * is not free: the budget doubles while whole drafts are kept and falls back when they are not. Passes have 2, 4,
 * 8, ... rows (1, 3, 7, ... drafts): the kernels share each weight block's decoding between 2 or 4 tokens, and an
 * odd row out costs nearly a whole decode step. After a rejection the budget falls to three drafts while at least
 * half of this generation's drafts have been kept, else to one: a pass of 4 rows costs ~1.4 decode steps against
 * ~1.1 for 2 on the native kernels (1.8 against 1.5 on Zen 2's Java ones), so at an acceptance p three drafts give
 * (1 + p + p² + p³) / 1.4 tokens a step against (1 + p) / 1.1, more from p ≈ 0.5 on.
 */
final class DraftBudget {
    private final int most;
    private int budget;
    /** this generation's drafts verified and kept */
    private int drafted, kept;

    /** @param most the largest draft a pass may take */
    DraftBudget(int most) {
        this.most = most;
        this.budget = Math.min(3, most);
    }

    /** The most drafts worth asking the drafter for now. */
    int limit() {
        return budget;
    }

    /** The drafts to verify out of {@code available}: the budget, cut to a pass of a power-of-two rows when it can be. */
    int take(int available) {
        int k = Math.min(available, budget);
        if (k <= 0) return 0;
        int rows = Integer.highestOneBit(k + 1);
        return rows >= 2 ? rows - 1 : k;
    }

    /** The pass verified {@code drafted} tokens and kept {@code kept}. */
    void verified(int drafted, int kept) {
        this.drafted += drafted;
        this.kept += kept;
        if (kept == drafted) budget = Math.min(most, 2 * budget + 1);
        else budget = Math.min(most, kept >= 3 || 2 * this.kept >= this.drafted ? 3 : 1);
    }
}
