package dev.jemma.model;

import dev.jemma.tensor.Arithmetic;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Batch invariance by construction, on quantized synthetic models with a sliding window far shorter than the
 * sequences: with {@link Arithmetic#BATCH_INVARIANT}, a sequence's logits are bit for bit the same computed alone
 * in prefill chunks of 1, 5, 32 or 128, or in batches of 2 to 8 with other sequences that are prefilling or
 * decoding at the same time, so greedy tokens and log-probabilities are too.
 */
class BatchInvarianceTest {
    static final int[] CHUNKS = {1, 5, 32, 128};
    static final int DECODE = 12;

    /** A prompt, then greedy decoding; every logit row it produced, in order. */
    static final class Sequence {
        final int[] prompt;
        final int chunk;
        final int startStep;
        final List<float[]> logits = new ArrayList<>();
        final List<Integer> tokens = new ArrayList<>();
        InferenceState state;
        int fed;

        Sequence(int[] prompt, int chunk, int startStep) {
            this.prompt = prompt;
            this.chunk = chunk;
            this.startStep = startStep;
        }

        boolean done() {
            return tokens.size() == DECODE;
        }
    }

    static int[] prompt(SplittableRandom r, int length, int vocab) {
        int[] p = new int[length];
        p[0] = 2;
        for (int i = 1; i < length; i++) p[i] = 3 + r.nextInt(vocab - 3);
        return p;
    }

    /** Runs the sequences together, one forward pass per step, each joining at its start step. */
    static void run(Gemma3Model m, List<Sequence> seqs) {
        int vocab = m.vocabRows();
        ForwardBatch b = new ForwardBatch();
        float[] out = new float[seqs.size() * vocab];
        for (Sequence s : seqs) s.state = m.newState(s.prompt.length + DECODE + 1, s.chunk, KVType.F32);
        try {
            for (int step = 0; seqs.stream().anyMatch(s -> !s.done()); step++) {
                b.clear();
                b.arithmetic(Arithmetic.BATCH_INVARIANT);
                b.logits(out);
                List<Sequence> in = new ArrayList<>();
                for (Sequence s : seqs) {
                    if (s.done() || step < s.startStep) continue;
                    if (s.fed < s.prompt.length) {
                        int n = Math.min(s.chunk, s.prompt.length - s.fed);
                        b.add(s.state, s.prompt, s.fed, n, s.fed + n == s.prompt.length ? ForwardBatch.Logits.LAST : ForwardBatch.Logits.NONE);
                        s.fed += n;
                    } else {
                        b.add(s.state, s.tokens.getLast(), ForwardBatch.Logits.LAST);
                    }
                    in.add(s);
                }
                if (in.isEmpty()) continue;
                m.forward(b);
                int row = 0;
                for (Sequence s : in) {
                    if (s.fed < s.prompt.length) continue;
                    float[] l = Arrays.copyOfRange(out, row * vocab, (row + 1) * vocab);
                    row++;
                    s.logits.add(l);
                    int best = 0;
                    for (int i = 1; i < vocab; i++) if (l[i] > l[best]) best = i;
                    s.tokens.add(best);
                }
            }
        } finally {
            for (Sequence s : seqs) s.state.close();
        }
    }

    static void assertSame(Sequence expected, Sequence got, String what) {
        assertEquals(expected.tokens, got.tokens, what + ": tokens");
        for (int i = 0; i < expected.logits.size(); i++) {
            if (!Arrays.equals(expected.logits.get(i), got.logits.get(i))) {
                fail(what + ": logits of step " + i + " differ in bits");
            }
        }
    }

    @Test
    void logitsAreIdenticalAloneChunkedAndBatched() throws IOException {
        for (String name : new String[] {"q4_k_m_mix", "q8_0", "f16"}) {
            Path file = Assets.repoRoot().resolve("jemma-core/src/test/resources/fixtures/synthetic/" + name + "/model.gguf");
            try (Gemma3Model m = Gemma3Model.load(file, 2)) {
                check(m, name, 150, 8);
            }
        }
    }

    /** The real 270M: its own mix of types, GQA, and a first prompt longer than its 512-position window. */
    @Test
    void theRealModelToo() throws IOException {
        try (Gemma3Model m = Gemma3Model.load(Assets.realModel(), 2)) {
            check(m, "real 270M", m.config.slidingWindow() + Attention.KEY_BLOCK + 30, 4);
        }
    }

    static void check(Gemma3Model m, String name, int longest, int sequences) {
        int vocab = Math.min(m.vocabRows(), m.tokenizer.vocabularySize());
        int maxLen = Math.min(m.config.contextLength() - DECODE - 1, longest);
        assertTrue(maxLen > m.config.slidingWindow() + Attention.KEY_BLOCK, "sequences must pass the window and a key block");
        SplittableRandom r = new SplittableRandom(11);
        int[][] prompts = new int[sequences][];
        for (int i = 0; i < prompts.length; i++) prompts[i] = prompt(r, 3 + r.nextInt(Math.min(maxLen, 150) - 3), vocab);
        prompts[0] = prompt(r, maxLen, vocab);

        // alone, chunk 128 as the reference; then every other chunk size
        Sequence[] alone = new Sequence[prompts.length];
        for (int i = 0; i < prompts.length; i++) {
            alone[i] = new Sequence(prompts[i], 128, 0);
            run(m, List.of(alone[i]));
        }
        for (int chunk : CHUNKS) {
            Sequence s = new Sequence(prompts[0], chunk, 0);
            run(m, List.of(s));
            assertSame(alone[0], s, name + " alone, chunk " + chunk);
        }
        // batches of 2..n: different chunk sizes, joining at different steps, so prefill and decode rows mix
        for (int size = 2; size <= sequences; size++) {
            List<Sequence> group = new ArrayList<>();
            for (int i = 0; i < size; i++) group.add(new Sequence(prompts[i], CHUNKS[(i + size) % CHUNKS.length], (i * 3) % 7));
            run(m, group);
            for (int i = 0; i < size; i++) assertSame(alone[i], group.get(i), name + " batch of " + size + ", sequence " + i);
        }
    }
}
