package dev.jemma.batch;

import dev.jemma.generate.TokenEvent;

import dev.jemma.generate.ChatMessage;
import dev.jemma.generate.ChatTemplate;
import dev.jemma.generate.FinishReason;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.KVType;
import dev.jemma.model.PrefixCache;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** Continuous batching on the real 270M: batch invariance, queue limits, cancellation and deadlines. */
class BatchSchedulerRealModelTest {
    static Gemma3Model model;
    static final String[] QUESTIONS = {
            "Name three rivers in Europe.", "What is 12 times 7?", "Write a haiku about rain.",
            "Say hello in French.", "What colour is the sky on Mars?", "Give me a word that rhymes with cat.",
            "Why do cats purr?", "List the first five prime numbers."};

    @BeforeAll
    static void load() throws Exception {
        model = Gemma3Model.load(Assets.realModel(), 2);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
        model = null; // the test JVM goes on to other classes: let the model's heap go
    }

    static int[] prompt(String question) {
        return new ChatTemplate(model.tokenizer).render(List.of(ChatMessage.user(question)), true).toArray();
    }

    /** Collects one request's output; completes its future at the end. */
    static final class Collector implements StreamListener {
        final StringBuilder text = new StringBuilder();
        final CompletableFuture<GenerationResult> done = new CompletableFuture<>();
        final AtomicInteger tokens = new AtomicInteger();
        /** token id, log-probability bits and the alternatives' ids and bits, one line per token */
        final List<String> trace = new ArrayList<>();

        @Override
        public void onToken(TokenEvent e) {
            text.append(e.text());
            tokens.incrementAndGet();
            StringBuilder t = new StringBuilder().append(e.tokenId()).append(' ').append(Float.floatToRawIntBits(e.logprob()));
            for (int i = 0; i < e.topIds().length; i++) {
                t.append(' ').append(e.topIds()[i]).append(':').append(Float.floatToRawIntBits(e.topLogprobs()[i]));
            }
            trace.add(t.toString());
        }

        @Override
        public void onComplete(GenerationResult r) {
            done.complete(r);
        }

        @Override
        public void onError(RuntimeException e) {
            done.completeExceptionally(e);
        }
    }

    static GenerationRequest withLogprobs(String question) {
        return new GenerationRequest(prompt(question), SamplingParams.greedy(40), null, 3, 0);
    }

    /**
     * With prompt-lookup drafts every request gets the tokens and log-probabilities the scheduler gives without
     * them, to the bit, alone or eight at once, greedy and sampled; the drafts show in the metrics.
     */
    @Test
    void speculativeRequestsMatchPlainOnes() throws Exception {
        String[] copying = {"Repeat exactly: red, green, blue, red, green, blue, red, green, blue.",
                "Copy this line: The quick brown fox jumps over the lazy dog.", QUESTIONS[0], QUESTIONS[7]};
        List<GenerationRequest> requests = new ArrayList<>();
        for (String q : copying) requests.add(withLogprobs(q));
        for (String q : copying) {
            requests.add(new GenerationRequest(prompt(q), SamplingParams.GEMMA_DEFAULTS.withSeed(q.length()).withMaxTokens(32), null, 2, 0));
        }
        List<String> plain = new ArrayList<>();
        try (BatchScheduler s = new BatchScheduler(model, new BatchConfig(8, 16, 1024, KVType.F32, null))) {
            for (GenerationRequest r : requests) {
                Collector c = new Collector();
                s.submit(r, c);
                c.done.get(120, TimeUnit.SECONDS);
                plain.add(String.join("\n", c.trace));
            }
        }
        var spec = dev.jemma.generate.Speculation.promptLookup(3, 8);
        try (BatchScheduler s = new BatchScheduler(model, new BatchConfig(8, 16, 1024, KVType.F32, null, spec))) {
            List<Collector> all = new ArrayList<>();
            for (GenerationRequest r : requests) {
                Collector c = new Collector();
                s.submit(r, c);
                all.add(c);
            }
            long accepted = 0;
            for (int i = 0; i < all.size(); i++) {
                GenerationResult r = all.get(i).done.get(120, TimeUnit.SECONDS);
                assertEquals(plain.get(i), String.join("\n", all.get(i).trace), "request " + i + " together with the others");
                assertEquals(r.text(), all.get(i).text.toString());
                accepted += r.acceptedTokens();
            }
            Collector alone = new Collector();
            s.submit(requests.get(0), alone);
            alone.done.get(120, TimeUnit.SECONDS);
            assertEquals(plain.get(0), String.join("\n", alone.trace), "alone");
            BatchMetrics m = s.metrics();
            assertTrue(m.draftedTokens() > 0 && m.acceptedTokens() > 0 && m.acceptedTokens() <= m.draftedTokens(), m.toString());
            assertTrue(accepted > 0);
        }
    }

    /** Same tokens, same log-probabilities to the bit, alone or with seven others (and a shared prefix cache). */
    @Test
    void eightConcurrentGreedyRequestsMatchEachAlone() throws Exception {
        PrefixCache prefixes = new PrefixCache(model.config, KVType.F32, 64L << 20, 8);
        try (BatchScheduler s = new BatchScheduler(model, new BatchConfig(8, 16, 1024, KVType.F32, prefixes))) {
            Collector[] alone = new Collector[QUESTIONS.length];
            for (int i = 0; i < QUESTIONS.length; i++) {
                Collector c = new Collector();
                s.submit(withLogprobs(QUESTIONS[i]), c);
                GenerationResult r = c.done.get(120, TimeUnit.SECONDS);
                assertEquals(r.text(), c.text.toString(), "streamed text equals the result");
                alone[i] = c;
            }
            List<Collector> all = new ArrayList<>();
            for (String q : QUESTIONS) {
                Collector c = new Collector();
                s.submit(withLogprobs(q), c);
                all.add(c);
            }
            for (int i = 0; i < all.size(); i++) {
                assertEquals(alone[i].done.get().text(), all.get(i).done.get(300, TimeUnit.SECONDS).text(), "request " + i + " batched vs alone");
                assertEquals(alone[i].trace, all.get(i).trace, "request " + i + ": tokens and log-probabilities, batched vs alone");
            }
            BatchMetrics m = s.metrics();
            System.out.printf("batched: %d decode steps, mean batch %.2f, %d tokens%n", m.decodeSteps(),
                    (double) m.busySlotSum() / m.decodeSteps(), m.generatedTokens());
            assertTrue((double) m.busySlotSum() / m.decodeSteps() > 1.5, "requests really shared decode steps");
            assertEquals(0, s.activeSlots());
        }
    }

    @Test
    void fullQueueRefusesAndCancelledRequestsFreeTheirSlots() throws Exception {
        try (BatchScheduler s = new BatchScheduler(model, new BatchConfig(2, 2, 512, KVType.F32, null))) {
            List<Ticket> tickets = new ArrayList<>();
            List<Collector> collectors = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Collector c = new Collector();
                tickets.add(s.submit(GenerationRequest.of(prompt(QUESTIONS[i]), SamplingParams.greedy(400)), c));
                collectors.add(c);
            }
            assertThrows(QueueFullException.class,
                    () -> s.submit(GenerationRequest.of(prompt(QUESTIONS[4]), SamplingParams.greedy(4)), new Collector()));
            long t0 = System.nanoTime();
            while (collectors.get(0).tokens.get() < 2) {
                assertTrue(System.nanoTime() - t0 < 60e9, "first request streams");
                Thread.sleep(5);
            }
            for (Ticket t : tickets) t.cancel();
            for (Collector c : collectors) {
                var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> c.done.get(10, TimeUnit.SECONDS));
                assertInstanceOf(GenerationCancelledException.class, e.getCause());
            }
            t0 = System.nanoTime();
            while (s.activeSlots() != 0) {
                assertTrue(System.nanoTime() - t0 < 5e9, "slots released");
                Thread.sleep(5);
            }
            assertEquals(0, s.queuedRequests());
            assertEquals(4, s.metrics().requestsCancelled());
            assertEquals(1, s.metrics().requestsRejected());
        }
    }

    @Test
    void repeatedDisconnectsLeaveNoActiveSlots() throws Exception {
        try (BatchScheduler s = new BatchScheduler(model, new BatchConfig(4, 64, 256, KVType.F32, null))) {
            int n = 200;
            CountDownLatch ended = new CountDownLatch(n);
            for (int i = 0; i < n; i++) {
                Ticket[] self = new Ticket[1];
                CountDownLatch submitted = new CountDownLatch(1);
                StreamListener l = new StreamListener() {
                    @Override
                    public void onToken(TokenEvent e) {
                        try {
                            submitted.await();
                        } catch (InterruptedException ex) {
                            Thread.currentThread().interrupt();
                        }
                        self[0].cancel(); // the client went away after its first token
                    }

                    @Override
                    public void onComplete(GenerationResult r) {
                        ended.countDown();
                    }

                    @Override
                    public void onError(RuntimeException e) {
                        ended.countDown();
                    }
                };
                while (true) {
                    try {
                        self[0] = s.submit(GenerationRequest.of(prompt(QUESTIONS[i % QUESTIONS.length]), SamplingParams.greedy(100)), l);
                        break;
                    } catch (QueueFullException full) {
                        Thread.sleep(10);
                    }
                }
                submitted.countDown();
            }
            assertTrue(ended.await(300, TimeUnit.SECONDS), "every request ended");
            assertEquals(0, s.activeSlots());
            assertEquals(n, s.metrics().requestsCancelled() + s.metrics().requestsCompleted());
            assertTrue(s.metrics().requestsCancelled() >= n - 4);
        }
    }

    @Test
    void deadlineEndsWithLengthAndLogprobsAreReported() throws Exception {
        try (BatchScheduler s = new BatchScheduler(model, new BatchConfig(1, 1, 512, KVType.F32, null))) {
            Collector c = new Collector();
            List<TokenEvent> events = new ArrayList<>();
            StreamListener l = new StreamListener() {
                @Override
                public void onToken(TokenEvent e) {
                    events.add(e);
                    c.onToken(e);
                }

                @Override
                public void onComplete(GenerationResult r) {
                    c.onComplete(r);
                }

                @Override
                public void onError(RuntimeException e) {
                    c.onError(e);
                }
            };
            long deadline = System.nanoTime() + 400_000_000L;
            s.submit(new GenerationRequest(prompt("Tell me a very long story about a dragon."), SamplingParams.greedy(2000), null, 3, deadline), l);
            GenerationResult r = c.done.get(60, TimeUnit.SECONDS);
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertTrue(r.generatedTokens() < 2000);
            TokenEvent first = events.get(0);
            assertEquals(3, first.topIds().length);
            assertEquals(first.tokenId(), first.topIds()[0], "greedy picks the most likely token");
            assertTrue(first.logprob() <= 0 && first.logprob() == first.topLogprobs()[0]);
            assertTrue(first.topLogprobs()[0] >= first.topLogprobs()[1] && first.topLogprobs()[1] >= first.topLogprobs()[2]);
        }
    }
}
