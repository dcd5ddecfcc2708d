package dev.jemma.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jemma.Jemma;
import dev.jemma.generate.ContextConfig;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.hf.HuggingFaceModel;
import dev.jemma.tensor.Arithmetic;
import dev.jemma.vision.VisionEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Images through the server (acceptance d): an OpenAI image_url data URL, Ollama's base64 images and the CLI's path
 * (VisionEngine.userTurn and a batch-invariant session, as `jemma run --image --batch-invariant`) give the same
 * prompt and the same greedy answer; bad images are 400s naming the problem.
 */
class VisionServerTest {
    @TempDir
    static Path tmp;
    static Jemma jemma;
    static TestServer server;
    static String b64;
    static byte[] png;

    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("jemma-core"))) p = p.getParent();
        return p;
    }

    @BeforeAll
    static void start() throws Exception {
        Path text = tmp.resolve("tiny.gguf"), mmproj = tmp.resolve("mmproj.gguf");
        try (HuggingFaceModel hf = HuggingFaceModel.open(root().resolve("jemma-core/src/test/resources/fixtures/hf/tiny-gemma3-vision"))) {
            hf.convert(text, HuggingFaceModel.OutType.F32, null);
            hf.convertMmproj(mmproj, HuggingFaceModel.OutType.F32);
        }
        jemma = Jemma.builder().model(text).mmproj(mmproj).threads(2).contextLength(256).build();
        server = new TestServer(c -> c, jemma);
        png = Files.readAllBytes(root().resolve("jemma-core/src/test/resources/fixtures/vision/images/rgb_53x37.png"));
        b64 = Base64.getEncoder().encodeToString(png);
    }

    @AfterAll
    static void stop() {
        server.close();
        jemma.close();
    }

    @Test
    void openAiOllamaAndTheCliGiveTheSameAnswer() throws Exception {
        String q = "What is in the picture?";
        HttpResponse<String> o = server.post("/v1/chat/completions", """
                {"model":"gemma3-test","temperature":0,"max_tokens":8,"messages":[{"role":"user","content":[
                 {"type":"image_url","image_url":{"url":"data:image/png;base64,%s"}},{"type":"text","text":"%s"}]}]}"""
                .formatted(b64, q));
        assertEquals(200, o.statusCode(), o.body());
        JsonNode oj = TestServer.json(o.body());
        HttpResponse<String> l = server.post("/api/chat", """
                {"model":"gemma3-test","stream":false,"options":{"temperature":0,"num_predict":8},
                 "messages":[{"role":"user","content":"%s","images":["%s"]}]}""".formatted(q, b64));
        assertEquals(200, l.statusCode(), l.body());
        JsonNode lj = TestServer.json(l.body());
        HttpResponse<String> g = server.post("/api/generate", """
                {"model":"gemma3-test","stream":false,"options":{"temperature":0,"num_predict":8},"prompt":"%s","images":["%s"]}"""
                .formatted(q, b64));
        assertEquals(200, g.statusCode(), g.body());

        VisionEngine v = jemma.vision();
        VisionEngine.Prepared p = v.userTurn(null, q, List.of(png), false);
        StringBuilder cli = new StringBuilder();
        try (Session s = new Session(jemma.model(), ContextConfig.of(256), null, null, Math.max(128, v.tokensPerImage()))) {
            s.arithmetic(Arithmetic.BATCH_INVARIANT);
            s.generate(p.ids(), p.runs(), SamplingParams.greedy(8), null, cli::append);
        }
        String answer = oj.path("choices").get(0).path("message").path("content").asText();
        assertEquals(cli.toString(), answer, "OpenAI vs the CLI's path");
        assertEquals(answer, lj.path("message").path("content").asText(), "Ollama chat vs OpenAI");
        assertEquals(answer, TestServer.json(g.body()).path("response").asText(), "Ollama generate vs OpenAI");
        assertEquals(p.ids().length, oj.path("usage").path("prompt_tokens").asInt(), "the same prompt ids");
        assertEquals(p.ids().length, lj.path("prompt_eval_count").asInt());
    }

    @Test
    void badImagesAreNamed400s() throws Exception {
        String[][] cases = {
                {"{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.png\"}}", "not fetched"},
                {"{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,@@@\"}}", "not valid base64"},
                {"{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," + Base64.getEncoder().encodeToString("not an image".getBytes()) + "\"}}",
                        "not an image format"},
                {"{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," + Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(png, 60)) + "\"}}",
                        "corrupt or truncated"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = server.post("/v1/chat/completions",
                    "{\"model\":\"gemma3-test\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":[" + c[0] + ",{\"type\":\"text\",\"text\":\"hi\"}]}]}");
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains(c[1]), r.body());
        }
        HttpResponse<String> sys = server.post("/v1/chat/completions", "{\"model\":\"gemma3-test\",\"max_tokens\":2,\"messages\":["
                + "{\"role\":\"system\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," + b64 + "\"}}]},"
                + "{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(400, sys.statusCode(), sys.body());
        assertTrue(sys.body().contains("only user messages may carry images"), sys.body());
        HttpResponse<String> tooMany = server.post("/api/chat", "{\"model\":\"gemma3-test\",\"stream\":false,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\",\"images\":[" + String.join(",", java.util.Collections.nCopies(17, "\"" + b64 + "\"")) + "]}]}");
        assertEquals(400, tooMany.statusCode(), tooMany.body());
        assertTrue(tooMany.body().contains("at most 16 images"), tooMany.body());
        HttpResponse<String> raw = server.post("/api/generate",
                "{\"model\":\"gemma3-test\",\"stream\":false,\"raw\":true,\"prompt\":\"x\",\"images\":[\"" + b64 + "\"]}");
        assertEquals(400, raw.statusCode(), raw.body());
        // the shared text-only test server refuses images as before
        try (TestServer textOnly = new TestServer()) {
            HttpResponse<String> r = textOnly.post("/api/chat", "{\"model\":\"gemma3-test\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"images\":[\"" + b64 + "\"]}]}");
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains("no vision encoder"), r.body());
        }
    }
}
