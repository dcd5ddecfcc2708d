package dev.jemma.model;

import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The memory check before a KV cache is allocated: it refuses with the numbers, and what would fit, as fields. */
class MemoryCheckTest {
    @Test
    void aCacheLargerThanFreeMemoryIsRefusedWithTheNumbers() throws Exception {
        try (Gemma3Model m = Gemma3Model.load(Assets.realModel(), 1)) {
            long need = KVCache.bytes(m.config, 32768, Gemma3Model.DEFAULT_CHUNK, KVType.F32);
            Gemma3Model.checkMemory(m.config, 32768, Gemma3Model.DEFAULT_CHUNK, KVType.F32, need); // exactly fits
            InsufficientMemoryException e = assertThrows(InsufficientMemoryException.class,
                    () -> Gemma3Model.checkMemory(m.config, 32768, Gemma3Model.DEFAULT_CHUNK, KVType.F32, 100L << 20));
            String msg = e.getMessage();
            assertTrue(msg.contains("32,768") && msg.contains("100 MiB") && msg.contains("f32"), msg);
            assertTrue(msg.contains(AvailableMemory.mib(need)), msg);
            // the numbers travel with the error, so each front end can say what would fit in its own terms
            assertEquals(need, e.needed);
            assertEquals(100L << 20, e.available);
            assertEquals(KVCache.bytes(m.config, 32768, Gemma3Model.DEFAULT_CHUNK, KVType.Q8_0), e.neededAsQ8);
            assertTrue(e.neededAsQ8 < need);
            System.out.println("refused: " + msg);
        }
    }
}
