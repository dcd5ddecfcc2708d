package dev.jemma.cli;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Memory goes back after a spike: `jemma serve`, started with the launcher's own JVM flags, gets 17 prompts of a
 * million characters (each refused once tokenized: it exceeds the context); its resident memory must fall back
 * to within 20% of what it was before them.
 */
class ServeMemoryTest {
    static List<String> launcherGcFlags() throws Exception {
        for (String line : Files.readAllLines(CliTest.repoRoot().resolve("jemma"))) {
            if (line.startsWith("serve_gc_opts=\"")) {
                String flags = line.substring("serve_gc_opts=\"".length(), line.lastIndexOf('"')).replace("${JEMMA_HEAP:-1g}", "1g");
                return List.of(flags.split(" "));
            }
        }
        throw new AssertionError("no serve_gc_opts line in the launcher");
    }

    static long rssKiB(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new AssertionError("no VmRSS");
    }

    @Test
    void residentMemoryFallsBackAfterMillionCharacterPrompts() throws Exception {
        String model = StructuredRunTest.model();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(launcherGcFlags());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.jemma.cli.Main", "serve", "--model", model,
                "--port", "0", "--ctx", "1024", "--parallel", "2", "--threads", "2"));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String url = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertNotNull(url, "the server printed its URL");
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String small = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4}";
            assertEquals(200, post(http, url, small).statusCode());
            Thread.sleep(3000);
            long before = rssKiB(p.pid());
            String huge = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "word ".repeat(200_000) + "\"}],\"max_tokens\":4}";
            long peak = before;
            for (int i = 0; i < 17; i++) {
                HttpResponse<String> r = post(http, url, huge);
                assertEquals(400, r.statusCode(), r.body());
                peak = Math.max(peak, rssKiB(p.pid()));
            }
            long after = Long.MAX_VALUE;
            for (long t0 = System.nanoTime(); System.nanoTime() - t0 < 30e9 && after > before * 1.2; Thread.sleep(500)) {
                after = rssKiB(p.pid());
            }
            System.out.printf("RSS before %d MiB, peak %d MiB, after %d MiB%n", before >> 10, peak >> 10, after >> 10);
            assertTrue(after <= before * 1.2, "RSS " + (after >> 10) + " MiB after the spike, " + (before >> 10) + " MiB before");
            assertEquals(200, post(http, url, small).statusCode(), "still serving");
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }

    static HttpResponse<String> post(HttpClient http, String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions")).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
