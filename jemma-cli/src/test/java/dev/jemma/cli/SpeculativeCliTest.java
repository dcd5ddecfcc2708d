package dev.jemma.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.jemma.cli.CliInputErrorsTest.beforeLoading;
import static dev.jemma.cli.CliInputErrorsTest.oneLineError;
import static dev.jemma.cli.CliTest.jemma;
import static org.junit.jupiter.api.Assertions.*;

/** --draft-ngram, --draft-model, --draft-max and --draft-p-min on run and bench (a tiny synthetic model). */
class SpeculativeCliTest {
    static final String MODEL = CliInputErrorsTest.MODEL;
    static final String PROMPT = "one two three one two three one two three one two";

    @Test
    void draftsGiveThePlainRunsText() {
        CliTest.Outcome plain = jemma("run", "--raw", "--model", MODEL, "-n", "24", "--temperature", "0", "-t", "1", PROMPT);
        assertEquals(0, plain.code(), plain.err());
        for (String[] flags : new String[][] {{"--draft-ngram"}, {"--draft-ngram", "1", "--draft-max", "3"},
                {"--draft-model", MODEL, "--draft-p-min", "0"}, {"--draft-ngram", "2", "--draft-model", MODEL}}) {
            String[] args = new String[8 + flags.length];
            System.arraycopy(new String[] {"run", "--raw", "--model", MODEL, "-n", "24", "--temperature", "0"}, 0, args, 0, 8);
            System.arraycopy(flags, 0, args, 8, flags.length);
            String[] withPrompt = java.util.Arrays.copyOf(args, args.length + 3);
            withPrompt[args.length] = "-t";
            withPrompt[args.length + 1] = "1";
            withPrompt[args.length + 2] = PROMPT;
            CliTest.Outcome o = jemma(withPrompt);
            assertEquals(0, o.code(), o.err());
            assertEquals(plain.out(), o.out(), String.join(" ", flags));
            assertTrue(o.err().contains("drafts: "), "the stats name the drafts: " + o.err());
        }
    }

    @Test
    void badDraftFlagsAreRefusedBeforeTheModelLoads(@TempDir Path tmp) {
        for (String[] args : new String[][] {
                {"run", "--model", MODEL, "--draft-ngram", "-1", "hi"},
                {"run", "--model", MODEL, "--draft-ngram", "--draft-max", "0", "hi"},
                {"run", "--model", MODEL, "--draft-ngram", "--draft-max", "65", "hi"},
                {"run", "--model", MODEL, "--draft-model", MODEL, "--draft-p-min", "1.5", "hi"},
                {"chat", "--model", MODEL, "--draft-max", "0"},
                {"serve", "--model", MODEL, "--draft-ngram", "--draft-max", "0"}}) {
            CliTest.Outcome o = jemma(args);
            assertEquals(1, o.code(), String.join(" ", args) + ": " + o.err());
            beforeLoading(o);
        }
        CliTest.Outcome missing = jemma("run", "--model", MODEL, "--draft-model", tmp.resolve("none.gguf").toString(), "hi");
        oneLineError(missing, "file not found");
        beforeLoading(missing);
    }

    /** A draft model must number tokens as the model does: the real 270M and a tiny synthetic one do not. */
    @Test
    void aDraftModelOfAnotherVocabularyIsRefused() {
        CliTest.Outcome o = jemma("run", "--model", StructuredRunTest.model(), "--draft-model", MODEL, "-n", "4", "hi");
        oneLineError(o, "the draft model's vocabulary differs from the model's");
        assertEquals("", o.out());
    }

    @Test
    void benchComparesSpeculativeAndPlainDecoding(@TempDir Path tmp) throws Exception {
        Path prompts = tmp.resolve("p.txt");
        Files.writeString(prompts, PROMPT + "\n\nfour five six four five six four\n");
        CliTest.Outcome none = jemma("bench", "--model", MODEL, "--prompts", prompts.toString());
        oneLineError(none, "--prompts needs --draft-ngram or --draft-model");
        CliTest.Outcome o = jemma("bench", "--model", MODEL, "--prompts", prompts.toString(), "--raw", "--draft-ngram",
                "-n", "12", "-r", "1", "-t", "1", "--json");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("\"identical\":\"2/2\""), o.out());
        assertTrue(o.out().contains("\"speedup_median\""), o.out());
    }
}
