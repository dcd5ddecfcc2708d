package dev.jemma.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.adapter.LoraAdapter;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.Projection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Acceptance (b) of the adapters issue on the real 270M: `jemma serve --lora NAME=FILE` × 8, and 8 concurrent greedy
 * requests over the 8 adapters plus one for the base, all decoded together; each answer equals `jemma run` alone
 * with that adapter (--batch-invariant: the server's arithmetic) to the byte.
 */
class ServeAdaptersTest {
    static final int ADAPTERS = 8;
    static final String QUESTION = "Write one sentence about the moon.";
    static final int TOKENS = 24;

    static Path randomAdapter(GemmaConfig c, Path file, long seed) {
        LoraAdapter.create(c, 8, 16, EnumSet.allOf(Projection.class)).fillGaussian(seed, 0.04f, 0.04f).write(file);
        return file;
    }

    @Test
    void eightAdaptersBatchedInTheServerEqualTheCliAlone(@TempDir Path tmp) throws Exception {
        String model = StructuredRunTest.model();
        GemmaConfig c;
        try (Gemma3Model m = Gemma3Model.load(Path.of(model), 1)) {
            c = m.config;
        }
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < ADAPTERS; i++) files.add(randomAdapter(c, tmp.resolve("s" + i + ".gguf"), 500 + i));

        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                // the server on the kernels the CLI runs in this JVM: the answers are compared to the byte
                "-Djemma.kernels=" + System.getProperty("jemma.kernels", "auto"),
                "-cp", System.getProperty("java.class.path"), "dev.jemma.cli.Main", "serve", "--model", model,
                "--port", "0", "--ctx", "1024", "--parallel", String.valueOf(ADAPTERS + 1), "--threads", "2"));
        for (int i = 0; i < ADAPTERS; i++) cmd.addAll(List.of("--lora", "s" + i + "=" + files.get(i)));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> served = new ArrayList<>();
        try {
            String url = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertNotNull(url, "the server printed its URL");
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            ObjectMapper json = new ObjectMapper();
            String base = json.readTree(http.send(HttpRequest.newBuilder(URI.create(url + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).path("data").get(0).path("id").asText();
            List<String> models = new ArrayList<>();
            for (int i = 0; i < ADAPTERS; i++) models.add("s" + i);
            models.add(base);
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (String m : models) {
                String body = "{\"model\":\"" + m + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + QUESTION
                        + "\"}],\"temperature\":0,\"max_tokens\":" + TOKENS + "}";
                answers.add(http.sendAsync(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));
            }
            for (CompletableFuture<HttpResponse<String>> a : answers) {
                HttpResponse<String> r = a.get();
                assertEquals(200, r.statusCode(), r.body());
                JsonNode j = json.readTree(r.body());
                served.add(j.path("choices").get(0).path("message").path("content").asText());
            }
        } finally {
            p.destroy();
            p.waitFor();
        }
        assertTrue(new HashSet<>(served).size() >= 5, "the adapters change the answers: " + served);
        for (int i = 0; i <= ADAPTERS; i++) {
            List<String> args = new ArrayList<>(List.of("run", "--model", model, "--batch-invariant", "--temperature", "0",
                    "-n", String.valueOf(TOKENS), "--threads", "2"));
            if (i < ADAPTERS) args.addAll(List.of("--lora", files.get(i).toString()));
            args.add(QUESTION);
            CliTest.Outcome o = CliTest.jemma(args.toArray(new String[0]));
            assertEquals(0, o.code(), o.err());
            assertEquals(served.get(i) + "\n", o.out(), (i < ADAPTERS ? "adapter s" + i : "the base") + ": server (batched) vs CLI alone");
        }
    }
}
