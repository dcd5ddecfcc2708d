package dev.jemma.gguf;

import dev.jemma.JemmaException;
import dev.jemma.model.Gemma3Model;
import dev.jemma.testutil.TinyGemma;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * docs/RELIABILITY.md, "Mutation fuzzing": seeded byte-flip, truncation and splice mutants of a tiny valid
 * Gemma GGUF. Loading each either succeeds or fails with a typed {@link JemmaException}; nothing else escapes
 * (no OOM, index or arithmetic errors), each load is fast, and the outcome is deterministic.
 */
@Tag("reliability")
class GGUFMutationFuzzTest {
    static final int MUTANTS = 2000;

    @TempDir
    Path tmp;

    @Test
    @Timeout(300)
    void mutantsFailOnlyWithTypedErrors() throws Exception {
        byte[] valid = TinyGemma.builder().build();
        SplittableRandom rnd = new SplittableRandom(20261124);
        Path f = tmp.resolve("mutant.gguf");
        int loaded = 0, rejected = 0;
        for (int i = 0; i < MUTANTS; i++) {
            byte[] m = mutate(valid, rnd);
            Files.write(f, m);
            String first = outcome(f);
            assertEquals(first, outcome(f), "mutant " + i + " is not deterministic");
            if (first.equals("ok")) loaded++;
            else rejected++;
        }
        System.out.printf("mutation fuzz: %d mutants, %d loaded, %d rejected with typed errors%n", MUTANTS, loaded, rejected);
        assertTrue(rejected > MUTANTS / 4, "most mutants should be rejected: " + rejected);
    }

    /** "ok", or the typed error's class; anything untyped fails the test. */
    private static String outcome(Path f) {
        long t0 = System.nanoTime();
        try (Gemma3Model m = Gemma3Model.load(f, 1)) {
            return "ok";
        } catch (JemmaException e) {
            return e.getClass().getSimpleName();
        } catch (Throwable t) {
            throw new AssertionError("untyped failure " + t, t);
        } finally {
            assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "load took over 1 s");
        }
    }

    private static byte[] mutate(byte[] valid, SplittableRandom rnd) {
        byte[] m = valid.clone();
        switch (rnd.nextInt(4)) {
            case 0 -> { // flip a few bytes, biased towards the header where counts and lengths live
                int n = 1 + rnd.nextInt(4);
                for (int k = 0; k < n; k++) {
                    int at = rnd.nextInt(4) == 0 ? rnd.nextInt(m.length) : rnd.nextInt(Math.min(m.length, 12_000));
                    m[at] = (byte) rnd.nextInt(256);
                }
            }
            case 1 -> m = Arrays.copyOf(m, rnd.nextInt(m.length)); // truncate
            case 2 -> { // splice: copy a run of bytes to another place
                int len = 1 + rnd.nextInt(64);
                int from = rnd.nextInt(m.length - len), to = rnd.nextInt(m.length - len);
                System.arraycopy(valid, from, m, to, len);
            }
            default -> { // set a little-endian u64 somewhere to an extreme value
                int at = rnd.nextInt(Math.min(m.length - 8, 12_000));
                long v = switch (rnd.nextInt(4)) {
                    case 0 -> -1L;
                    case 1 -> Long.MIN_VALUE;
                    case 2 -> 1L << rnd.nextInt(63);
                    default -> rnd.nextLong();
                };
                for (int b = 0; b < 8; b++) m[at + b] = (byte) (v >>> (8 * b));
            }
        }
        return m;
    }
}
