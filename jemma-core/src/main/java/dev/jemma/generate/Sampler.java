package dev.jemma.generate;

import java.util.SplittableRandom;

/**
 * Turns logits into the next token: penalties, then greedy or temperature → top-k → softmax →
 * top-p → min-p → a seeded draw. Buffers are allocated once; {@link #sample} allocates nothing.
 * Only ids below {@code allowed} (the tokenizer's size, when it is smaller than the embedding
 * table) can be chosen. Not thread-safe: one per generation stream.
 */
public final class Sampler {
    private final SamplingParams p;
    private final int allowed;
    private final SplittableRandom random;
    private final int[] candidates;
    private final float[] probs;
    private final int[] counts;
    private final int[] recent;
    /** ring of the last penaltyWindow tokens: recentHead is the next write (the oldest once full) */
    private int recentSize;
    private int recentHead;

    public Sampler(SamplingParams p, int vocabRows, int tokenizerSize) {
        this.p = p;
        this.allowed = Math.min(vocabRows, tokenizerSize);
        this.random = new SplittableRandom(p.seed());
        int k = p.topK() > 0 ? Math.min(p.topK(), allowed) : allowed;
        this.candidates = new int[k];
        this.probs = new float[k];
        this.counts = new int[vocabRows];
        this.recent = new int[Math.max(1, p.penaltyWindow())];
    }

    /** Records a token that is now part of the context (prompt or generated), for the penalties. */
    public void accept(int token) {
        if (token < 0 || token >= counts.length || p.penaltyWindow() == 0) return;
        if (recentSize == recent.length) counts[recent[recentHead]]--;
        else recentSize++;
        recent[recentHead] = token;
        recentHead = (recentHead + 1) % recent.length;
        counts[token]++;
    }

    /** Picks the next token from logits[0..vocabRows); may modify logits (penalties). */
    public int sample(float[] logits) {
        applyPenalties(logits);
        if (p.temperature() == 0) return argmax(logits);
        int k = selectTopK(logits);
        float max = logits[candidates[0]];
        double sum = 0;
        for (int i = 0; i < k; i++) {
            float e = (float) Math.exp((logits[candidates[i]] - max) / p.temperature());
            probs[i] = e;
            sum += e;
        }
        // top-p: smallest prefix (candidates are sorted, most likely first) with mass ≥ top_p
        int n = k;
        double cumulative = 0;
        for (int i = 0; i < k; i++) {
            cumulative += probs[i] / sum;
            if (cumulative >= p.topP()) {
                n = i + 1;
                break;
            }
        }
        // min-p: drop tokens less likely than min_p × the most likely one
        if (p.minP() > 0) {
            float floor = probs[0] * p.minP();
            int m = 1;
            while (m < n && probs[m] >= floor) m++;
            n = m;
        }
        double total = 0;
        for (int i = 0; i < n; i++) total += probs[i];
        double r = random.nextDouble() * total;
        for (int i = 0; i < n; i++) {
            r -= probs[i];
            if (r < 0) return candidates[i];
        }
        return candidates[n - 1];
    }

    private void applyPenalties(float[] logits) {
        if (recentSize == 0) return;
        boolean rep = p.repetitionPenalty() != 1f;
        boolean pres = p.presencePenalty() != 0f, freq = p.frequencyPenalty() != 0f;
        if (!rep && !pres && !freq) return;
        for (int i = 0; i < recentSize; i++) {
            int t = recent[i];
            if (counts[t] < 0) continue; // already applied for this token
            int c = counts[t];
            float l = logits[t];
            if (rep) l = l > 0 ? l / p.repetitionPenalty() : l * p.repetitionPenalty();
            l -= p.frequencyPenalty() * c + (c > 0 ? p.presencePenalty() : 0);
            logits[t] = l;
            counts[t] = -c - 1; // mark as done
        }
        for (int i = 0; i < recentSize; i++) {
            int t = recent[i];
            if (counts[t] < 0) counts[t] = -counts[t] - 1;
        }
    }

    private int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < allowed; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** Fills candidates[0..k) with the k largest logits, sorted descending; returns k. */
    private int selectTopK(float[] logits) {
        int k = candidates.length;
        int size = 0;
        // min-heap of size k over candidates, keyed by logit
        for (int i = 0; i < allowed; i++) {
            float v = logits[i];
            if (Float.isNaN(v)) continue;
            if (size < k) {
                candidates[size] = i;
                siftUp(logits, size++);
            } else if (v > logits[candidates[0]]) {
                candidates[0] = i;
                siftDown(logits, 0, size);
            }
        }
        // heap sort into descending order
        for (int end = size - 1; end > 0; end--) {
            int tmp = candidates[0];
            candidates[0] = candidates[end];
            candidates[end] = tmp;
            siftDown(logits, 0, end);
        }
        return size;
    }

    private void siftUp(float[] l, int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (l[candidates[i]] >= l[candidates[parent]]) break;
            int t = candidates[i]; candidates[i] = candidates[parent]; candidates[parent] = t;
            i = parent;
        }
    }

    private void siftDown(float[] l, int i, int size) {
        while (true) {
            int a = 2 * i + 1, b = a + 1, min = i;
            if (a < size && l[candidates[a]] < l[candidates[min]]) min = a;
            if (b < size && l[candidates[b]] < l[candidates[min]]) min = b;
            if (min == i) return;
            int t = candidates[i]; candidates[i] = candidates[min]; candidates[min] = t;
            i = min;
        }
    }
}
