package dev.jemma.tokenizer;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.GGUFMetadata;
import dev.jemma.testutil.GgufBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/** A metadata-only GGUF (no tensors) written with {@link GgufBuilder} and read back, for tokenizer tests. */
final class TinyGguf {
    private final GgufBuilder g = new GgufBuilder();

    TinyGguf string(String key, String v) { g.str(key, v); return this; }
    TinyGguf u32(String key, long v) { g.u32(key, v); return this; }
    TinyGguf i32(String key, int v) { g.i32(key, v); return this; }
    TinyGguf strings(String key, String... v) { g.strings(key, List.of(v)); return this; }
    TinyGguf floats(String key, float... v) { g.floats(key, v); return this; }
    TinyGguf ints(String key, int... v) { g.ints(key, v); return this; }
    TinyGguf remove(String key) { g.remove(key); return this; }

    /** Writes the file into dir and returns its path. */
    Path write(Path dir) {
        return g.write(dir);
    }

    /** Writes the file into dir and returns its metadata. */
    GGUFMetadata metadata(Path dir) {
        try (GGUFFile f = GGUFFile.open(g.write(dir))) {
            return f.metadata();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
