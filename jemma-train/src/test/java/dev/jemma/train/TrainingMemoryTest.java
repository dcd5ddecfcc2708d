package dev.jemma.train;

import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InsufficientMemoryException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run that cannot fit fails before it allocates, with the numbers and what would help. */
class TrainingMemoryTest {
    @Test
    void aRunThatDoesNotFitSaysWhatItNeeds() throws Exception {
        try (Gemma3Model m = Gemma3Model.load(Path.of("src/test/resources/fixtures/train/mha_2layer/model.gguf"), 1)) {
            TrainingOptions full = TrainingOptions.builder().method(TrainingOptions.Method.FULL).steps(1).threads(1).build();
            InsufficientMemoryException e = assertThrows(InsufficientMemoryException.class, () -> Trainer.checkMemory(m, full, 1 << 20, Long.MAX_VALUE));
            assertTrue(e.getMessage().contains("JEMMA_HEAP") && e.getMessage().contains("--freeze-embeddings"), e.getMessage());
            assertThrows(InsufficientMemoryException.class, () -> Trainer.checkMemory(m, full, Long.MAX_VALUE, 1000));
            Trainer.checkMemory(m, full, Long.MAX_VALUE, Long.MAX_VALUE);
            TrainingOptions lora = TrainingOptions.builder().steps(1).threads(1).build();
            Trainer.checkMemory(m, lora, 64L << 20, 0);
        }
    }
}
