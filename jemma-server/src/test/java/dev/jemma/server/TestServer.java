package dev.jemma.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.server.engine.SchedulerEngine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** A server on an ephemeral port over the shared test model, with small HTTP helpers. */
final class TestServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    final JemmaServer server;
    /** The engine under the server; its hook may replace requests (for example with one whose constraint fails). */
    final HookedEngine engine;
    final int port;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    TestServer(UnaryOperator<ServerConfig> tweak) throws IOException {
        this(tweak, TestModel.get());
    }

    /** A server over another model instance (its own adapter registry); the caller closes that model. */
    TestServer(UnaryOperator<ServerConfig> tweak, dev.jemma.Jemma model) throws IOException {
        ServerConfig c = new ServerConfig("127.0.0.1", 0, 4, 4, List.of(), List.of(), "gemma3-test", 8 << 20, 200_000, 8,
                Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofSeconds(1), 4096, Duration.ofSeconds(10),
                ServerConfig.DEFAULT_MAX_TOKENS_LIMIT, null);
        ServerConfig config = tweak.apply(c);
        HookedEngine[] made = new HookedEngine[1];
        server = JemmaServer.startWithEngine(config, () -> made[0] = new HookedEngine(
                new SchedulerEngine(model, config.slots(), config.queue(), config.alias(), false)), System.err);
        engine = made[0];
        port = server.address().getPort();
    }

    TestServer() throws IOException {
        this(c -> c);
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** status and body of a request (null body: GET). */
    HttpResponse<String> call(String method, String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(120));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        return call("POST", path, body, headers);
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        return call("GET", path, null, headers);
    }

    static JsonNode json(String s) throws IOException {
        return JSON.readTree(s);
    }

    /** The data payloads of an SSE body, in order ("[DONE]" included). */
    static List<String> events(String sse) {
        List<String> out = new ArrayList<>();
        for (String block : sse.split("\n\n")) {
            for (String line : block.split("\n")) if (line.startsWith("data: ")) out.add(line.substring(6));
        }
        return out;
    }

    /** Concatenated delta contents of a streamed chat completion (choice index 0). */
    static String streamedText(String sse) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String e : events(sse)) {
            if (e.equals("[DONE]")) continue;
            JsonNode c = json(e).path("choices");
            if (c.size() > 0 && c.get(0).path("delta").has("content")) sb.append(c.get(0).path("delta").path("content").asText());
        }
        return sb.toString();
    }

    /** Sends raw bytes on a new socket and reads the whole response (until close or timeout). */
    String raw(byte[] request, int timeoutMillis) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(timeoutMillis);
            OutputStream out = s.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException e) {
                // the server may close before reading everything (413, header limits)
            }
            return readAll(s.getInputStream());
        }
    }

    String raw(String request, int timeoutMillis) throws IOException {
        return raw(request.getBytes(StandardCharsets.UTF_8), timeoutMillis);
    }

    static String readAll(InputStream in) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        try {
            for (int n; (n = in.read(b)) > 0; ) buf.write(b, 0, n);
        } catch (IOException e) {
            // reset or timeout: return what came
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    static String chat(String content, int maxTokens, String extra) {
        return "{\"model\":\"gemma3-test\",\"messages\":[{\"role\":\"user\",\"content\":" + quote(content) + "}],\"max_tokens\":"
                + maxTokens + ",\"temperature\":0" + (extra == null ? "" : "," + extra) + "}";
    }

    static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the scheduler has no active or queued request; false on timeout. */
    boolean awaitIdle(long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end) {
            var m = engine.metrics();
            if (m.activeSlots() == 0 && m.queuedRequests() == 0) return true;
            Thread.sleep(20);
        }
        return false;
    }

    @Override
    public void close() {
        server.close();
    }
}
