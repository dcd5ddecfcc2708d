package dev.jemma.server;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** 8 greedy streaming clients at once each get exactly the text they get alone (continuous batching is batch-invariant). */
@Tag("concurrency")
class ConcurrentClientsTest {
    @Test
    void eightConcurrentGreedyStreamsEqualTheirSoloText() throws Exception {
        try (TestServer s = new TestServer(c -> c.withSlots(8, 8))) {
            List<String> prompts = List.of("Name a fruit.", "What is 2+2?", "Say hello in French.", "Name a colour.",
                    "What is the capital of Italy?", "Name an animal.", "Count to three.", "Name a planet.");
            List<String> solo = new ArrayList<>();
            for (String p : prompts) solo.add(TestServer.streamedText(s.post("/v1/chat/completions", TestServer.chat(p, 10, "\"stream\":true")).body()));
            List<CompletableFuture<String>> together = new ArrayList<>();
            for (String p : prompts) {
                together.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return TestServer.streamedText(s.post("/v1/chat/completions", TestServer.chat(p, 10, "\"stream\":true")).body());
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }, java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()));
            }
            for (int i = 0; i < prompts.size(); i++) assertEquals(solo.get(i), together.get(i).get(), prompts.get(i));
            var m = s.engine.metrics();
            System.err.printf("mean batch %.2f over %d decode steps%n", (double) m.busySlotSum() / m.decodeSteps(), m.decodeSteps());
        }
    }
}
