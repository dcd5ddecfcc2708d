package dev.jemma.adapter;

import dev.jemma.batch.BatchConfig;
import dev.jemma.batch.BatchScheduler;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.batch.StreamListener;
import dev.jemma.generate.ContextConfig;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.generate.TextListener;
import dev.jemma.generate.TokenConstraint;
import dev.jemma.generate.TokenEvent;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.KVType;
import dev.jemma.model.PrefixCache;
import dev.jemma.model.Projection;
import dev.jemma.tensor.Arithmetic;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Requests for different adapters (and the bare base) decoded in one batch: each row applies its own adapter, so
 * every request's tokens equal the same request alone in a session with that adapter, and the prefix cache never
 * hands one adapter's keys and values to another (all requests share one prompt, long enough to be cached).
 */
class MultiAdapterBatchTest {
    static final int ADAPTERS = 8, TOKENS = 12, CTX = 96;

    record Answer(List<Integer> ids, String text) {}

    static CompletableFuture<Answer> start(BatchScheduler s, GenerationRequest r) {
        CompletableFuture<Answer> done = new CompletableFuture<>();
        List<Integer> ids = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        s.submit(r, new StreamListener() {
            @Override
            public void onToken(TokenEvent e) {
                if (e.tokenId() >= 0) ids.add(e.tokenId()); // -1: the decoder's last text, no token
                text.append(e.text());
            }

            @Override
            public void onComplete(GenerationResult result) {
                done.complete(new Answer(List.copyOf(ids), text.toString()));
            }

            @Override
            public void onError(RuntimeException error) {
                done.completeExceptionally(error);
            }
        });
        return done;
    }

    @Test
    void eachRowOfAMixedBatchRunsItsOwnAdapterExactly() throws Exception {
        try (Gemma3Model m = Gemma3Model.load(LoraFixtures.synthetic("f32_two_global").resolve("model.gguf"), 2)) {
            AdapterRegistry registry = new AdapterRegistry(m.config, 1L << 30);
            for (int i = 0; i < ADAPTERS; i++) {
                LoraAdapter a = LoraFixtures.random(m.config, 4, 8, EnumSet.allOf(Projection.class), 100 + i, 0.1f, 0.05f);
                registry.register("a" + i, null, a, 1f, 0f);
            }
            int[] prompt = new int[40];
            prompt[0] = m.tokenizer.bosId();
            for (int i = 1; i < prompt.length; i++) prompt[i] = 10 + (i * 37) % (m.vocabRows() - 20);
            // seeded sampling, not greedy: a random model's argmax hardly moves, its distribution does
            SamplingParams greedy = SamplingParams.greedy(TOKENS).withTemperature(8f).withTopK(0).withTopP(1f).withSeed(42);

            // the expected answers: each alone, in a batch-invariant session with its adapter (index ADAPTERS: the base)
            List<Answer> alone = new ArrayList<>();
            for (int i = 0; i <= ADAPTERS; i++) {
                try (AdapterRegistry.Lease lease = i < ADAPTERS ? registry.lease("a" + i) : registry.lease(List.of());
                     Session s = new Session(m, new ContextConfig(CTX, KVType.F32, false, null), lease.adapter(), null)) {
                    s.arithmetic(Arithmetic.BATCH_INVARIANT);
                    List<Integer> ids = new ArrayList<>();
                    TokenConstraint recorder = new TokenConstraint() { // allows everything, records the tokens
                        public void mask(float[] logits) { }
                        public void accept(int tokenId) { ids.add(tokenId); }
                        public boolean canStop() { return true; }
                        public boolean isComplete() { return false; }
                    };
                    GenerationResult r = s.generate(prompt, greedy, recorder, TextListener.NONE);
                    alone.add(new Answer(List.copyOf(ids), ""));
                    assertEquals(TOKENS, r.generatedTokens());
                }
            }
            assertTrue(new HashSet<>(alone.stream().map(Answer::ids).toList()).size() >= 6,
                    "the adapters must change the answers for this test to mean anything: " + alone);

            PrefixCache prefixes = new PrefixCache(m.config, KVType.F32, 64L << 20, 8);
            registry.onRetire(prefixes::forget);
            try (BatchScheduler s = new BatchScheduler(m, new BatchConfig(ADAPTERS + 1, 16, CTX, KVType.F32, prefixes))) {
                List<CompletableFuture<Answer>> batched = new ArrayList<>();
                List<AdapterRegistry.Lease> leases = new ArrayList<>();
                for (int round = 0; round < 2; round++) {
                    // submitted together; the second round in another order, so each slot gets another adapter than
                    // its cache holds and must restore the prompt from the prefix cache entry of its own adapter
                    batched.clear();
                    for (int k = 0; k <= ADAPTERS; k++) batched.add(null);
                    for (int k = 0; k <= ADAPTERS; k++) {
                        int i = (k + 3 * round) % (ADAPTERS + 1);
                        AdapterRegistry.Lease lease = i < ADAPTERS ? registry.lease("a" + i) : registry.lease(List.of());
                        leases.add(lease);
                        batched.set(i, start(s, GenerationRequest.of(prompt, greedy).withAdapter(lease.adapter())));
                    }
                    for (int i = 0; i <= ADAPTERS; i++) {
                        assertEquals(alone.get(i).ids(), batched.get(i).get(60, TimeUnit.SECONDS).ids(),
                                "round " + round + ", " + (i < ADAPTERS ? "adapter a" + i : "the base") + ": batched vs alone");
                    }
                }
                assertTrue(prefixes.hits() > 0, "the second round restored cached prefixes");
                assertThrows(AdapterRegistryException.class, () -> registry.unload("a3"), "a3 is leased");
                for (AdapterRegistry.Lease l : leases) l.close();
                int before = prefixes.size();
                registry.unload("a3");
                assertTrue(prefixes.size() < before, "unloading an adapter drops its cached prefixes");
            }
        }
    }
}
