package dev.jemma.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.jemma.cli.CliTest.jemma;
import static dev.jemma.cli.CliTest.synthetic;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Each mistake an attack on the CLI found: one line on stderr naming the problem, exit code 1, and when the flag
 * alone is wrong, no model loaded ("loaded …" is what the CLI logs once it has one).
 */
class CliInputErrorsTest {
    static final String MODEL = synthetic("f32_basic").resolve("model.gguf").toString();

    static void oneLineError(CliTest.Outcome o, String expected) {
        assertEquals(1, o.code(), o.err());
        String err = o.err().strip();
        assertTrue(err.contains(expected), err);
        assertEquals(1, err.lines().filter(l -> l.contains("jemma: error:")).count(), err);
        assertFalse(err.contains("Exception"), err);
    }

    static void beforeLoading(CliTest.Outcome o) {
        assertFalse(o.err().contains("loaded "), "refused before the model loads: " + o.err());
    }

    @Test
    void aDirectoryOrAMissingFileIsNamed(@TempDir Path tmp) {
        // a directory is a model only as a Hugging Face folder (config.json)
        oneLineError(jemma("run", "--model", tmp.toString(), "hi"), "is a directory without config.json");
        oneLineError(jemma("run", "--model", tmp.resolve("none.gguf").toString(), "hi"), "file not found");
        CliTest.Outcome schema = jemma("run", "--model", MODEL, "--json-schema", tmp.resolve("s.json").toString(), "hi");
        oneLineError(schema, "--json-schema " + tmp.resolve("s.json") + ": file not found");
        beforeLoading(schema);
    }

    @Test
    void binaryInputIsNotText() throws IOException {
        CliTest.Outcome o = jemma("run", "--model", MODEL, "--prompt-file", "/bin/ls", "-n", "2");
        oneLineError(o, "--prompt-file /bin/ls is not UTF-8 text");
        beforeLoading(o);
        byte[] ls = Files.readAllBytes(Path.of("/bin/ls"));
        CliTest.Outcome chat = withStdin(new ByteArrayInputStream(ls), "chat", "--model", MODEL, "-n", "2");
        oneLineError(chat, "of standard input is not UTF-8 text");
        CliTest.Outcome nul = withStdin(new ByteArrayInputStream("hello\u0000there\n".getBytes(StandardCharsets.UTF_8)),
                "chat", "--model", MODEL, "-n", "2");
        oneLineError(nul, "line 1 of standard input is not UTF-8 text");
    }

    @Test
    void aClosedStandardInputIsSaidPlainly() {
        InputStream closed = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("Bad file descriptor");
            }
        };
        oneLineError(withStdin(closed, "chat", "--model", MODEL, "-n", "2"), "cannot read standard input");
        oneLineError(withStdin(closed, "run", "--model", MODEL, "-n", "2"), "cannot read standard input");
    }

    @Test
    void numericFlagsAreCheckedBeforeTheModelLoads() {
        for (String[] args : new String[][] {
                {"run", "--model", MODEL, "-n", "-5", "hi"},
                {"run", "--model", MODEL, "--temperature", "Infinity", "hi"},
                {"run", "--model", MODEL, "--top-p", "0", "hi"},
                {"run", "--model", MODEL, "--ctx", "0", "hi"},
                {"chat", "--model", MODEL, "--ctx", "-1"},
                {"run", "--model", MODEL, "--threads", "0", "hi"}}) {
            CliTest.Outcome o = jemma(args);
            assertEquals(1, o.code(), String.join(" ", args) + ": " + o.err());
            beforeLoading(o);
        }
        CliTest.Outcome big = jemma("run", "--model", MODEL, "--ctx", "99999999", "hi");
        oneLineError(big, "--ctx 99999999 must be between 1 and the model's maximum");
        beforeLoading(big);
    }

    /** The synthetic files have no chat tokens: a raw completion still runs, chat says what is missing. */
    @Test
    void rawCompletionWorksWithoutChatTokens() {
        CliTest.Outcome raw = jemma("run", "--raw", "--model", MODEL, "-n", "3", "--temperature", "0", "hello");
        assertEquals(0, raw.code(), raw.err());
        CliTest.Outcome chat = jemma("run", "--model", MODEL, "-n", "3", "hello");
        oneLineError(chat, "has no <start_of_turn> token, so it cannot chat");
    }

    static synchronized CliTest.Outcome withStdin(InputStream in, String... args) {
        InputStream old = System.in;
        System.setIn(in);
        try {
            return jemma(args);
        } finally {
            System.setIn(old);
        }
    }
}
