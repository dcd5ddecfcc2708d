package dev.jemma.cli;

import dev.jemma.model.ContextLengthException;
import dev.jemma.model.ContextOverflowException;
import dev.jemma.model.InsufficientMemoryException;
import org.junit.jupiter.api.Test;

import static dev.jemma.cli.CliTest.jemma;
import static dev.jemma.cli.CliTest.synthetic;
import static org.junit.jupiter.api.Assertions.*;

/** The core's typed errors carry numbers; the CLI alone words them as advice about its flags. */
class CliErrorsTest {
    @Test
    void typedErrorsBecomeFlagAdvice() {
        assertEquals("--ctx 99999 must be between 1 and the model's maximum 32768",
                CliErrors.message(new ContextLengthException(99999, 32768)));
        String overflow = CliErrors.message(ContextOverflowException.prompt(600, 512));
        assertTrue(overflow.contains("600") && overflow.contains("512") && overflow.contains("--ctx") && overflow.contains("--truncate"), overflow);
        String memory = CliErrors.message(new InsufficientMemoryException("the KV cache needs 211 MiB, but only 100 MiB is available",
                211L << 20, 100L << 20, 56L << 20));
        assertTrue(memory.contains("--kv-type q8_0 it needs 56 MiB") && memory.endsWith("or lower --ctx"), memory);
    }

    @Test
    void theCoreSaysNothingAboutFlags() {
        assertFalse(new ContextLengthException(99999, 32768).getMessage().contains("--"));
        assertFalse(ContextOverflowException.prompt(600, 512).getMessage().contains("--"));
    }

    @Test
    void aContextBeyondTheModelIsWordedForTheCli() {
        String model = synthetic("f32_basic").resolve("model.gguf").toString();
        CliTest.Outcome o = jemma("info", "--model", model, "--ctx", "99999999");
        assertEquals(1, o.code());
        assertTrue(o.err().contains("--ctx 99999999 must be between 1 and the model's maximum"), o.err());
        CliTest.Outcome zero = jemma("info", "--model", model, "--ctx", "0");
        assertEquals(1, zero.code());
        assertTrue(zero.err().contains("--ctx must be ≥ 1"), zero.err());
    }
}
