package dev.jemma.generate;

/**
 * Prompt-lookup drafting (Saxena, 2023): the last n tokens of the context are looked for earlier in it (the prompt
 * and what was generated), longest n first, and the tokens that followed the most recent match are proposed. Free
 * to run, and right often when the answer copies from its prompt: rewriting, fixing, quoting, converting.
 */
public final class PromptLookup implements Drafter {
    private final int maxNgram;
    private final IntList context = new IntList();

    /** @param maxNgram the longest n-gram matched (then shorter ones, down to 1) */
    public PromptLookup(int maxNgram) {
        if (maxNgram < 1) throw new IllegalArgumentException("n-gram length must be at least 1, got " + maxNgram);
        this.maxNgram = maxNgram;
    }

    @Override
    public void start(int[] prompt) {
        context.clear();
        context.addAll(prompt);
    }

    @Override
    public void accept(int token) {
        context.add(token);
    }

    @Override
    public int draft(int[] out, int off, int max) {
        int[] c = context.raw();
        int len = context.size();
        for (int n = Math.min(maxNgram, len - 1); n >= Math.min(2, maxNgram); n--) {
            // the most recent earlier occurrence of the last n tokens, with at least one token after it
            for (int start = len - n - 1; start >= 0; start--) {
                if (!matches(c, start, len - n, n)) continue;
                int from = start + n, k = Math.min(max, len - from);
                System.arraycopy(c, from, out, off, k);
                return k;
            }
        }
        return 0;
    }

    private static boolean matches(int[] c, int a, int b, int n) {
        for (int i = 0; i < n; i++) if (c[a + i] != c[b + i]) return false;
        return true;
    }
}
