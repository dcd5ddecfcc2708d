package dev.jemma.train.eval;

import dev.jemma.generate.ChatMessage;
import dev.jemma.gguf.GGUFFile;
import dev.jemma.testutil.TinyGemma;
import dev.jemma.tokenizer.Tokenizer;
import dev.jemma.train.data.TrainingDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Reading evaluation rows and building the (few-shot) prompts. */
class EvalSetTest {
    @TempDir Path dir;

    private Path file(String... lines) throws IOException {
        Path p = dir.resolve("eval.jsonl");
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    @Test
    void promptCompletionAndMessagesRows() throws IOException {
        List<EvalExample> es = EvalSet.load(file(
                "{\"prompt\":\"Q1\\nJSON:\\n\",\"completion\":\"{\\\"a\\\":1}\"}",
                "",
                "{\"messages\":[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"Q2\"},{\"role\":\"assistant\",\"content\":\"A2\"}]}",
                "{\"prompt\":\"Q3\",\"completion\":\"A3\"}"), -1);
        assertEquals(3, es.size());
        assertEquals(EvalExample.raw("Q1\nJSON:\n", "{\"a\":1}"), es.get(0));
        assertEquals(EvalExample.chat(List.of(ChatMessage.system("S"), ChatMessage.user("Q2")), "A2"), es.get(1));
        assertEquals(2, EvalSet.load(file("{\"prompt\":\"a\",\"completion\":\"b\"}", "{\"prompt\":\"c\",\"completion\":\"d\"}",
                "not json"), 2).size(), "--limit stops before later lines are read");
    }

    @Test
    void badRowsAreNamedByLine() throws IOException {
        assertError("2: the conversation must end with the model's turn", "{\"prompt\":\"a\",\"completion\":\"b\"}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"}]}");
        assertError("1: an evaluation row needs \"prompt\" and \"completion\"", "{\"text\":\"x\"}");
        assertError("1: not valid JSON", "{\"prompt\":");
        assertError("1: messages[0]: unknown role 'bot'", "{\"messages\":[{\"role\":\"bot\",\"content\":\"Q\"},{\"role\":\"model\",\"content\":\"A\"}]}");
        assertError(": the file holds no examples", "");
    }

    private void assertError(String expected, String... lines) throws IOException {
        Path p = file(lines);
        TrainingDataException e = assertThrows(TrainingDataException.class, () -> EvalSet.load(p, -1));
        assertTrue(e.getMessage().startsWith(p + ":"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void rawFewShotPromptsAreBosThenEachShotThenThePromptEachTokenizedOnItsOwn() throws IOException {
        Tokenizer tok = tiny();
        PromptBuilder b = new PromptBuilder(tok, List.of(EvalExample.raw("he", "llo"), EvalExample.raw("a", "b")));
        int[] ids = b.ids(EvalExample.raw("hello", "x"));
        int[] sep = tok.encode(PromptBuilder.SHOT_SEPARATOR);
        int[] want = concat(new int[] {tok.bosId()}, tok.encode("he"), tok.encode("llo"), sep, tok.encode("a"), tok.encode("b"), sep,
                tok.encode("hello"));
        assertArrayEquals(want, ids);
        assertArrayEquals(concat(new int[] {tok.bosId()}, tok.encode("hello")), new PromptBuilder(tok, List.of()).ids(EvalExample.raw("hello", "x")));
    }

    @Test
    void chatFewShotsAreTurnPairsAfterTheSystemMessage() throws IOException {
        Tokenizer tok = tiny();
        PromptBuilder b = new PromptBuilder(tok, List.of(EvalExample.raw("a", "b")));
        int[] ids = b.ids(EvalExample.chat(List.of(ChatMessage.system("h"), ChatMessage.user("e")), "x"));
        int[] want = new dev.jemma.generate.ChatTemplate(tok).render(List.of(ChatMessage.system("h"), ChatMessage.user("a"),
                ChatMessage.model("b"), ChatMessage.user("e")), true).toArray();
        assertArrayEquals(want, ids);
    }

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
    }

    private Tokenizer tiny() throws IOException {
        Path gguf = TinyGemma.builder().write(dir);
        try (GGUFFile f = GGUFFile.open(gguf)) {
            return Tokenizer.fromGGUF(f.metadata());
        }
    }
}
