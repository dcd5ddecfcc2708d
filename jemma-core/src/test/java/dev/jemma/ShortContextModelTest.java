package dev.jemma;

import dev.jemma.testutil.TinyGemma;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** A default context larger than a model's trained maximum is capped at it, not refused (serve asks for 8192). */
class ShortContextModelTest {
    @Test
    void theDefaultContextIsCappedAtTheModelsMaximum(@TempDir Path tmp) throws Exception {
        Path file = TinyGemma.builder().write(tmp);
        try (Jemma j = Jemma.builder().model(file).threads(1).defaultContextLength(8192).build()) {
            assertEquals(TinyGemma.CTX, j.context().contextLength());
        }
        try (Jemma j = Jemma.builder().model(file).threads(1).defaultContextLength(16).build()) {
            assertEquals(16, j.context().contextLength());
        }
        var e = assertThrows(dev.jemma.model.ContextLengthException.class,
                () -> Jemma.builder().model(file).threads(1).contextLength(8192).build());
        assertEquals(TinyGemma.CTX, e.maximum);
    }
}
