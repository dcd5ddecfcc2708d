package dev.jemma;

import java.nio.file.Path;

/**
 * Where Jemma keeps what it can rebuild or fetch again: the default model, derived tokenizer tables.
 * {@code $JEMMA_CACHE} when set, else {@code ~/.cache/jemma}. Nothing there is trusted without a check.
 */
public final class CacheRoot {
    private CacheRoot() {
    }

    public static Path path() {
        String env = System.getenv("JEMMA_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".cache", "jemma");
    }
}
