package dev.jemma.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jemma.Jemma;
import dev.jemma.adapter.LoraAdapter;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.Projection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Many adapters on one base in the server (real 270M, random adapters): each is a model id; requests for different
 * adapters and the base are decoded in one batch and each equals the same request alone; llama-server's per-request
 * {@code lora} and {@code /lora-adapters}; loading and unloading at run time, and every bad input's answer.
 */
class AdapterServingTest {
    static final int ADAPTERS = 8, TOKENS = 20;
    static final String QUESTION = "Tell me about the sea.";

    @TempDir
    static Path dir;
    static Jemma jemma;
    static TestServer s;
    static long adapterBytes;

    /** A random rank-4 adapter for the base, strong enough to change greedy answers. */
    static Path randomAdapter(GemmaConfig c, Path file, long seed) {
        LoraAdapter.create(c, 4, 8, EnumSet.allOf(Projection.class)).fillGaussian(seed, 0.05f, 0.05f).write(file);
        return file;
    }

    @BeforeAll
    static void start() throws Exception {
        Path served = Files.createDirectories(dir.resolve("adapters"));
        GemmaConfig c = TestModel.get().model().config;
        Jemma.Builder b = Jemma.builder().model(TestModel.path()).threads(Math.min(4, Runtime.getRuntime().availableProcessors()))
                .contextLength(1024);
        for (int i = 0; i < ADAPTERS; i++) b.adapter("spec-" + i, randomAdapter(c, served.resolve("spec-" + i + ".gguf"), 10 + i), 1f);
        randomAdapter(c, served.resolve("extra.gguf"), 99);
        jemma = b.build();
        adapterBytes = jemma.adapters().list().getFirst().bytes();
        s = new TestServer(cfg -> cfg.withSlots(ADAPTERS + 1, 16).withAdapterDir(served), jemma);
    }

    @AfterAll
    static void stop() {
        if (s != null) s.close();
        if (jemma != null) jemma.close();
    }

    static String chat(String model, String extra) {
        return "{" + (model == null ? "" : "\"model\":\"" + model + "\",") + "\"messages\":[{\"role\":\"user\",\"content\":\""
                + QUESTION + "\"}],\"temperature\":0,\"max_tokens\":" + TOKENS + extra + "}";
    }

    static String answer(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return TestServer.json(r.body()).path("choices").get(0).path("message").path("content").asText();
    }

    static String ask(String model, String extra) throws Exception {
        return answer(s.post("/v1/chat/completions", chat(model, extra)));
    }

    @Test
    void everyAdapterIsAModelId() throws Exception {
        JsonNode models = TestServer.json(s.get("/v1/models").body()).path("data");
        List<String> ids = new ArrayList<>();
        for (JsonNode m : models) ids.add(m.path("id").asText());
        assertEquals("gemma3-test", ids.getFirst(), "no default adapter: the base first");
        for (int i = 0; i < ADAPTERS; i++) assertTrue(ids.contains("spec-" + i), ids.toString());
        JsonNode one = TestServer.json(s.get("/v1/models/spec-3").body());
        assertEquals("gemma3-test", one.path("meta").path("parent").asText());
        assertEquals(4, one.path("meta").path("lora_rank").asInt());
        JsonNode tags = TestServer.json(s.get("/api/tags").body()).path("models");
        List<String> names = new ArrayList<>();
        for (JsonNode m : tags) names.add(m.path("name").asText());
        assertTrue(names.containsAll(List.of("gemma3-test", "spec-0", "spec-7")), names.toString());
        assertEquals(200, s.post("/api/show", "{\"model\":\"spec-2\"}").statusCode());
        HttpResponse<String> unknown = s.post("/v1/chat/completions", chat("spec-99", ""));
        assertEquals(404, unknown.statusCode());
        assertTrue(unknown.body().contains("spec-99"), unknown.body());
        assertEquals(404, s.post("/api/chat", "{\"model\":\"spec-99\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").statusCode());
    }

    @Test
    void adaptersBatchedTogetherEachAnswerAsAlone() throws Exception {
        List<String> models = new ArrayList<>();
        for (int i = 0; i < ADAPTERS; i++) models.add("spec-" + i);
        models.add("gemma3-test");
        List<String> alone = new ArrayList<>();
        for (String m : models) alone.add(ask(m, ""));
        assertTrue(new HashSet<>(alone).size() >= 5, "the adapters change the answers: " + alone);

        List<CompletableFuture<String>> batched = new ArrayList<>();
        for (String m : models) {
            batched.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return ask(m, "");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (int i = 0; i < models.size(); i++) assertEquals(alone.get(i), batched.get(i).get(), models.get(i) + ": batched vs alone");
    }

    @Test
    void llamaServerLoraShapes() throws Exception {
        JsonNode list = TestServer.json(s.get("/lora-adapters").body());
        assertTrue(list.isArray() && list.size() >= ADAPTERS, list.toString());
        int id3 = -1;
        for (JsonNode a : list) {
            if (a.path("path").asText().endsWith("spec-3.gguf")) id3 = a.path("id").asInt();
            assertEquals(0.0, a.path("scale").asDouble(), "named adapters are not applied to the base");
        }
        assertTrue(id3 >= 0, list.toString());
        String viaModel = ask("spec-3", "");
        String base = ask("gemma3-test", "");
        assertEquals(viaModel, ask(null, ",\"lora\":[{\"id\":" + id3 + ",\"scale\":1.0}]"), "per-request lora = the model id");
        assertEquals(base, ask("spec-3", ",\"lora\":[]"), "an empty lora list is the bare base");
        HttpResponse<String> bad = s.post("/v1/chat/completions", chat(null, ",\"lora\":[{\"id\":4242,\"scale\":1}]"));
        assertEquals(404, bad.statusCode());
        assertTrue(bad.body().contains("4242"), bad.body());
        assertEquals(400, s.post("/v1/chat/completions", chat(null, ",\"lora\":[{\"id\":\"x\",\"scale\":1}]")).statusCode());
        assertEquals(400, s.post("/v1/chat/completions", chat(null, ",\"lora\":{\"id\":1}")).statusCode());

        HttpResponse<String> set = s.post("/lora-adapters", "[{\"id\":" + id3 + ",\"scale\":1.0}]");
        assertEquals(200, set.statusCode(), set.body());
        assertTrue(TestServer.json(set.body()).path("success").asBoolean());
        try {
            assertEquals(viaModel, ask("gemma3-test", ""), "the global set applies to the base");
            assertEquals(1.0, TestServer.json(s.get("/lora-adapters").body()).get(id3).path("scale").asDouble());
        } finally {
            assertEquals(200, s.post("/lora-adapters", "[]").statusCode());
        }
        assertEquals(base, ask("gemma3-test", ""));
        assertEquals(404, s.post("/lora-adapters", "[{\"id\":4242,\"scale\":1}]").statusCode());
        assertEquals(400, s.post("/lora-adapters", "{\"id\":1}").statusCode());
    }

    @Test
    void loadAndUnloadAtRunTime() throws Exception {
        HttpResponse<String> loaded = s.post("/v1/adapters", "{\"name\":\"extra\",\"path\":\"extra.gguf\"}");
        assertEquals(201, loaded.statusCode(), loaded.body());
        assertEquals("extra", TestServer.json(loaded.body()).path("id").asText());
        String extra = ask("extra", "");
        assertEquals(409, s.post("/v1/adapters", "{\"name\":\"extra\",\"path\":\"extra.gguf\"}").statusCode(), "a taken name");

        // refused while a request uses it
        CompletableFuture<HttpResponse<String>> longRequest = CompletableFuture.supplyAsync(() -> {
            try {
                return s.post("/v1/chat/completions", "{\"model\":\"extra\",\"messages\":[{\"role\":\"user\",\"content\":\"Count to a thousand.\"}],"
                        // a schema that cannot end before 300 characters: the request surely holds its lease a while
                        + "\"max_tokens\":400,\"temperature\":0,\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"t\","
                        + "\"schema\":{\"type\":\"object\",\"properties\":{\"t\":{\"type\":\"string\",\"minLength\":300}},\"required\":[\"t\"]}}}}");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        boolean leased = false;
        for (int i = 0; i < 500 && !leased && !longRequest.isDone(); i++) {
            for (JsonNode a : TestServer.json(s.get("/v1/adapters").body()).path("data")) {
                leased |= a.path("id").asText().equals("extra") && a.path("in_use").asInt() > 0;
            }
            if (!leased) Thread.sleep(10);
        }
        assertTrue(leased, "the request holds the adapter while it generates");
        HttpResponse<String> busy = s.call("DELETE", "/v1/adapters/extra", null);
        assertEquals(409, busy.statusCode(), busy.body());
        assertTrue(busy.body().contains("extra"), busy.body());
        HttpResponse<String> finished = longRequest.get();
        assertEquals(200, finished.statusCode(), finished.body());
        HttpResponse<String> deleted = s.call("DELETE", "/v1/adapters/extra", null);
        assertEquals(200, deleted.statusCode(), deleted.body());
        assertEquals(404, s.post("/v1/chat/completions", chat("extra", "")).statusCode());
        assertEquals(404, s.call("DELETE", "/v1/adapters/extra", null).statusCode());

        // loaded again under the same name: the same answers (nothing stale in the caches)
        assertEquals(201, s.post("/v1/adapters", "{\"name\":\"extra\",\"path\":\"extra.gguf\"}").statusCode());
        assertEquals(extra, ask("extra", ""));
        assertEquals(200, s.call("DELETE", "/v1/adapters/extra", null).statusCode());
    }

    @Test
    void memoryStaysFlatOverAThousandLoadsAndUnloadsOverHttp() throws Exception {
        long registryBytes = jemma.adapters().bytes();
        for (int i = 0; i < 30; i++) loadUnload(); // warm up
        long before = usedHeapAfterGc();
        for (int i = 0; i < 1000; i++) loadUnload();
        long after = usedHeapAfterGc();
        assertEquals(registryBytes, jemma.adapters().bytes());
        assertTrue(after - before < (16L << 20), "heap grew by " + (after - before) + " bytes over 1,000 cycles");
    }

    private static void loadUnload() throws Exception {
        HttpResponse<String> r = s.post("/v1/adapters", "{\"name\":\"cycle\",\"path\":\"extra.gguf\"}");
        assertEquals(201, r.statusCode(), r.body());
        r = s.call("DELETE", "/v1/adapters/cycle", null);
        assertEquals(200, r.statusCode(), r.body());
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    @Test
    void badAdapterRequestsAreRefusedWithTheReason() throws Exception {
        Path outside = dir.resolve("outside.gguf");
        Files.copy(dir.resolve("adapters/extra.gguf"), outside, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        HttpResponse<String> r = s.post("/v1/adapters", "{\"name\":\"x\",\"path\":\"" + outside + "\"}");
        assertEquals(403, r.statusCode(), r.body());
        assertEquals(403, s.post("/v1/adapters", "{\"name\":\"x\",\"path\":\"../outside.gguf\"}").statusCode());
        Files.createSymbolicLink(dir.resolve("adapters/link.gguf"), outside);
        assertEquals(403, s.post("/v1/adapters", "{\"name\":\"x\",\"path\":\"link.gguf\"}").statusCode(), "a link out of the directory");
        assertEquals(404, s.post("/v1/adapters", "{\"name\":\"x\",\"path\":\"missing.gguf\"}").statusCode());

        // an adapter for another base: 400 naming the tensor
        Path other = Path.of(System.getProperty("user.dir")).getParent().resolve("jemma-core/src/test/resources/fixtures/lora/adapter.gguf");
        Files.copy(other, dir.resolve("adapters/other-base.gguf"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        r = s.post("/v1/adapters", "{\"name\":\"x\",\"path\":\"other-base.gguf\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("blk."), r.body());
        Files.write(dir.resolve("adapters/junk.gguf"), new byte[] {'G', 'G', 'U', 'F', 0, 0});
        assertEquals(400, s.post("/v1/adapters", "{\"name\":\"x\",\"path\":\"junk.gguf\"}").statusCode());
        assertEquals(400, s.post("/v1/adapters", "{\"name\":\"../bad name\",\"path\":\"extra.gguf\"}").statusCode());
        assertEquals(400, s.post("/v1/adapters", "{\"path\":\"extra.gguf\"}").statusCode());
        assertEquals(400, s.post("/v1/adapters", "{\"name\":\"x\",\"path\":\"extra.gguf\",\"scale\":\"big\"}").statusCode());
        assertEquals(409, s.post("/v1/adapters", "{\"name\":\"gemma3-test\",\"path\":\"extra.gguf\"}").statusCode(), "the base's id");
        assertNull(jemma.adapters().find("x"));
    }

    @Test
    void tooManyAdaptersForMemoryIs503WithTheNumbers() throws Exception {
        try (Jemma small = Jemma.builder().model(TestModel.path()).threads(2).contextLength(256).adapterMemory(adapterBytes * 3 / 2).build();
             TestServer t = new TestServer(cfg -> cfg.withAdapterDir(dir.resolve("adapters")), small)) {
            assertEquals(201, t.post("/v1/adapters", "{\"name\":\"a\",\"path\":\"extra.gguf\"}").statusCode());
            HttpResponse<String> full = t.post("/v1/adapters", "{\"name\":\"b\",\"path\":\"extra.gguf\"}");
            assertEquals(503, full.statusCode(), full.body());
            assertTrue(full.body().contains(String.format("%,d", adapterBytes)), full.body());
        }
    }

    @Test
    void runTimeLoadingIsOffWithoutADirectoryAndNeedsTheApiKey() throws Exception {
        try (TestServer t = new TestServer(cfg -> cfg, jemma)) {
            HttpResponse<String> r = t.post("/v1/adapters", "{\"name\":\"x\",\"path\":\"extra.gguf\"}");
            assertEquals(403, r.statusCode(), r.body());
        }
        try (TestServer t = new TestServer(cfg -> cfg.withApiKeys(List.of("k1")).withAdapterDir(dir.resolve("adapters")), jemma)) {
            assertEquals(401, t.post("/v1/adapters", "{\"name\":\"x\",\"path\":\"extra.gguf\"}").statusCode());
            assertEquals(401, t.call("DELETE", "/v1/adapters/spec-1", null).statusCode());
            assertEquals(401, t.post("/lora-adapters", "[]").statusCode());
            assertEquals(201, t.post("/v1/adapters", "{\"name\":\"x\",\"path\":\"extra.gguf\"}", "Authorization", "Bearer k1").statusCode());
            assertEquals(200, t.call("DELETE", "/v1/adapters/x", null, "Authorization", "Bearer k1").statusCode());
        }
    }
}
