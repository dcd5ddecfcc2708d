package dev.jemma.cli;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** `jemma serve --kernels java` loads the model on the kernels asked for, and says so on stderr. */
class ServeKernelsTest {
    @Test
    void serveRunsTheKernelsAskedFor() throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), "dev.jemma.cli.Main", "serve", "--model", StructuredRunTest.model(),
                "--port", "0", "--ctx", "512", "--threads", "1", "--kernels", "java");
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            String loaded = null;
            for (String line; loaded == null && (line = err.readLine()) != null; ) {
                if (line.contains("loaded ")) loaded = line;
            }
            assertNotNull(loaded, "the server logged its load");
            assertTrue(loaded.contains("java kernels"), loaded);
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }
}
